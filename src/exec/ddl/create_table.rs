//! CREATE TABLE and CREATE TABLE ... AS.

use std::collections::HashSet;

use crate::catalog::{BlockchainOptions, Catalog, CatalogRecord, CheckDef, ColumnDef, TableDef, TableKind};
use crate::error::{sqlstate, Error, Notice, Result};
use crate::exec::table;
use crate::ledger::options;
use crate::plan::binder::Binder;
use crate::plan::BoundStatement;
use crate::sql::{self, ast, ident};
use crate::types::{cast, DataType};

use super::{unique_relation_name, DdlContext};

pub(super) fn execute(create: &ast::CreateTable, ctx: &mut DdlContext<'_>) -> Result<String> {
    let name = sql::object_name(&create.name)?;
    if create.temporary {
        return Err(Error::unsupported("temporary tables"));
    }
    if ctx.catalog.relation_exists(&name) {
        if create.if_not_exists {
            ctx.notices.push(Notice::with_code(
                sqlstate::DUPLICATE_TABLE,
                format!("relation \"{name}\" already exists, skipping"),
            ));
            return Ok("CREATE TABLE".into());
        }
        return Err(super::duplicate_relation(&name));
    }
    let kind = if sql::is_blockchain_table(create) {
        let options = blockchain_options(&create.table_options, ctx.catalog)?;
        check_purge_function(&name, &options, ctx.catalog)?;
        TableKind::Blockchain(Box::new(options))
    } else {
        check_options(&create.table_options)?;
        TableKind::Ordinary
    };
    if let Some(query) = &create.query {
        return create_as(&name, create, query, ctx);
    }
    let spec = TableSpec::from_ast(&name, &create.columns, &create.constraints)?;
    let table_id = ctx.new_object_id()?;
    let mut table = spec.table_def(table_id, ctx)?;
    table.kind = kind;
    if let Some(c) = table
        .columns
        .iter()
        .find(|c| table.hidden_columns().contains(&c.name.as_str()))
    {
        // As PostgreSQL refuses a column named like a system column (ctid, xmin, ...).
        return Err(Error::sql(
            sqlstate::DUPLICATE_COLUMN,
            format!("column name \"{}\" conflicts with a system column name", c.name),
        ));
    }
    ctx.persist(CatalogRecord::Table(table.clone()), false)?;
    for (columns, constraint_name) in spec.uniques {
        let name = match constraint_name {
            Some(n) => n,
            None => {
                let cols: Vec<&str> = columns.iter().map(|&c| table.columns[c].name.as_str()).collect();
                unique_relation_name(ctx.catalog, &format!("{}_{}_key", table.name, cols.join("_")))
            }
        };
        ctx.add_index(&table, name, columns, true, true)?;
    }
    if table.is_blockchain() {
        let indexes: Vec<_> = ctx
            .catalog
            .table_indexes(table.id)
            .iter()
            .map(|i| i.as_ref().clone())
            .collect();
        crate::ledger::chain::create_genesis(ctx.txn, &table, &indexes)?;
        if let Some(options) = table.blockchain_options() {
            ctx.signers
                .sign_blocks(ctx.txn, table.id, &options.authorized_signers, 0, 0)?;
        }
    }
    Ok("CREATE TABLE".into())
}

/// A `CUSTOM` purge policy's expression must bind as a boolean over `blockchain_metadata`'s
/// columns now, not fail at every purge later.
fn check_purge_function(table: &str, options: &BlockchainOptions, catalog: &Catalog) -> Result<()> {
    let Some(expr) = &options.purge_function else {
        return Ok(());
    };
    if crate::ledger::purge::canonical(&options.purge_policy) != "CUSTOM" {
        return Ok(());
    }
    let sql = crate::exec::purge::custom_query(table, expr);
    let mut statements = crate::sql::parse(&sql).map_err(|e| {
        Error::sql(
            sqlstate::INVALID_PARAMETER_VALUE,
            format!("invalid purge_function: {}", e.message()),
        )
    })?;
    let (Some(statement), None) = (statements.pop(), statements.pop()) else {
        return Err(Error::sql(
            sqlstate::INVALID_PARAMETER_VALUE,
            "purge_function must be one expression",
        ));
    };
    if !matches!(statement, ast::Statement::Query(_)) {
        return Err(Error::sql(
            sqlstate::INVALID_PARAMETER_VALUE,
            "purge_function must be an expression",
        ));
    }
    crate::plan::binder::Binder::new(catalog, &[])
        .bind_statement(&statement)
        .map_err(|e| {
            Error::sql(
                sqlstate::INVALID_PARAMETER_VALUE,
                format!("invalid purge_function: {}", e.message()),
            )
        })?;
    Ok(())
}

/// `WITH (...)` storage parameters: PostgreSQL's are accepted (and have no effect on Vellum's
/// storage); anything else is an error naming the parameter.
fn check_options(options: &ast::CreateTableOptions) -> Result<()> {
    let list = match options {
        ast::CreateTableOptions::None => return Ok(()),
        ast::CreateTableOptions::With(list) => list,
        _ => return Err(Error::unsupported("table options other than WITH (...)")),
    };
    for option in list {
        let key = match option {
            ast::SqlOption::KeyValue { key, .. } => ident(key),
            ast::SqlOption::Ident(key) => ident(key),
            other => return Err(Error::syntax(format!("unrecognized table option {other}"))),
        };
        const ACCEPTED: &[&str] = &[
            "fillfactor",
            "autovacuum_enabled",
            "toast_tuple_target",
            "parallel_workers",
        ];
        if !ACCEPTED.contains(&key.as_str()) {
            return Err(Error::sql(
                sqlstate::INVALID_PARAMETER_VALUE,
                format!("unrecognized parameter \"{key}\""),
            ));
        }
    }
    Ok(())
}

/// `CREATE BLOCKCHAIN TABLE ... WITH (...)`: the option texts, validated by the ledger.
fn blockchain_options(options: &ast::CreateTableOptions, catalog: &Catalog) -> Result<BlockchainOptions> {
    let list: &[ast::SqlOption] = match options {
        ast::CreateTableOptions::None => &[],
        ast::CreateTableOptions::With(list) => list,
        _ => return Err(Error::unsupported("blockchain table options other than WITH (...)")),
    };
    let mut pairs = Vec::with_capacity(list.len());
    for option in list {
        match option {
            ast::SqlOption::KeyValue { key, value } => {
                let key = ident(key);
                let mut text = option_text(&key, value)?;
                if key == "authorized_signers" {
                    text = super::signer::resolve_authorized(&text, catalog)?;
                }
                pairs.push((key.clone(), Some(text)));
            }
            ast::SqlOption::Ident(key) => pairs.push((ident(key), None)),
            other => return Err(Error::syntax(format!("unrecognized table option {other}"))),
        }
    }
    options::parse_options(&pairs)
}

/// The text of an option value: a literal, a word, or a negative number.
fn option_text(key: &str, value: &ast::Expr) -> Result<String> {
    match value {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => Ok(n.to_string()),
            ast::Value::SingleQuotedString(s) => Ok(s.clone()),
            ast::Value::Boolean(b) => Ok(b.to_string()),
            _ => Err(bad_option_value(key, value)),
        },
        ast::Expr::Identifier(word) => Ok(word.value.clone()),
        // A list (`ARRAY['a', 'b']`) reads as its comma-separated elements.
        ast::Expr::Array(array) => Ok(array
            .elem
            .iter()
            .map(|e| option_text(key, e))
            .collect::<Result<Vec<_>>>()?
            .join(",")),
        ast::Expr::UnaryOp {
            op: ast::UnaryOperator::Minus,
            expr,
        } => Ok(format!("-{}", option_text(key, expr)?)),
        _ => Err(bad_option_value(key, value)),
    }
}

fn bad_option_value(key: &str, value: &ast::Expr) -> Error {
    Error::sql(
        sqlstate::INVALID_PARAMETER_VALUE,
        format!("invalid value for option \"{key}\": {value}"),
    )
}

/// A table definition gathered from column and table constraints.
struct TableSpec {
    name: String,
    columns: Vec<ColumnDef>,
    primary_key: Option<(Vec<usize>, Option<String>)>,
    uniques: Vec<(Vec<usize>, Option<String>)>,
    /// (constraint name if given, expression, column it was declared on)
    checks: Vec<(Option<String>, ast::Expr, Option<usize>)>,
}

impl TableSpec {
    fn from_ast(name: &str, columns: &[ast::ColumnDef], constraints: &[ast::TableConstraint]) -> Result<TableSpec> {
        if columns.is_empty() {
            return Err(Error::unsupported("tables without columns"));
        }
        if columns.len() > 1600 {
            return Err(Error::sql(
                sqlstate::TOO_MANY_COLUMNS,
                "tables can have at most 1600 columns",
            ));
        }
        let mut spec = TableSpec {
            name: name.to_string(),
            columns: Vec::new(),
            primary_key: None,
            uniques: Vec::new(),
            checks: Vec::new(),
        };
        let mut seen = HashSet::new();
        for column in columns {
            let col_name = ident(&column.name);
            if !seen.insert(col_name.clone()) {
                return Err(Error::sql(
                    sqlstate::DUPLICATE_COLUMN,
                    format!("column \"{col_name}\" specified more than once"),
                ));
            }
            spec.columns.push(ColumnDef {
                name: col_name,
                data_type: sql::data_type(&column.data_type)?,
                nullable: true,
                default: None,
            });
        }
        for (position, column) in columns.iter().enumerate() {
            for option in &column.options {
                let constraint_name = option.name.as_ref().map(ident);
                match &option.option {
                    ast::ColumnOption::Null => {}
                    ast::ColumnOption::NotNull => spec.columns[position].nullable = false,
                    ast::ColumnOption::Default(expr) => spec.columns[position].default = Some(expr.to_string()),
                    ast::ColumnOption::PrimaryKey(_) => spec.set_primary_key(vec![position], constraint_name)?,
                    ast::ColumnOption::Unique(_) => spec.uniques.push((vec![position], constraint_name)),
                    ast::ColumnOption::Check(check) => {
                        let name = check.name.as_ref().map(ident).or(constraint_name);
                        spec.checks.push((name, (*check.expr).clone(), Some(position)));
                    }
                    ast::ColumnOption::ForeignKey(_) => return Err(Error::unsupported("FOREIGN KEY constraints")),
                    ast::ColumnOption::Identity(_) | ast::ColumnOption::Generated { .. } => {
                        return Err(Error::unsupported("identity and generated columns"))
                    }
                    ast::ColumnOption::Collation(_) => {}
                    other => return Err(Error::unsupported(format!("column option {other}"))),
                }
            }
        }
        for constraint in constraints {
            match constraint {
                ast::TableConstraint::PrimaryKey(pk) => {
                    let cols = spec.column_list(pk.columns.iter().map(|c| &c.column.expr))?;
                    spec.set_primary_key(cols, pk.name.as_ref().map(ident))?;
                }
                ast::TableConstraint::Unique(u) => {
                    let cols = spec.column_list(u.columns.iter().map(|c| &c.column.expr))?;
                    spec.uniques.push((cols, u.name.as_ref().map(ident)));
                }
                ast::TableConstraint::Check(check) => {
                    spec.checks
                        .push((check.name.as_ref().map(ident), (*check.expr).clone(), None));
                }
                ast::TableConstraint::ForeignKey(_) => return Err(Error::unsupported("FOREIGN KEY constraints")),
                other => return Err(Error::unsupported(format!("table constraint {other}"))),
            }
        }
        // A unique constraint identical to the primary key adds nothing (PostgreSQL keeps one index).
        if let Some((pk, _)) = &spec.primary_key {
            let pk = pk.clone();
            spec.uniques.retain(|(cols, _)| *cols != pk);
        }
        Ok(spec)
    }

    fn set_primary_key(&mut self, columns: Vec<usize>, name: Option<String>) -> Result<()> {
        if self.primary_key.is_some() {
            return Err(Error::sql(
                sqlstate::INVALID_TABLE_DEFINITION,
                format!("multiple primary keys for table \"{}\" are not allowed", self.name),
            ));
        }
        for &c in &columns {
            self.columns[c].nullable = false;
        }
        self.primary_key = Some((columns, name));
        Ok(())
    }

    fn column_list<'e>(&self, exprs: impl Iterator<Item = &'e ast::Expr>) -> Result<Vec<usize>> {
        let mut out = Vec::new();
        for expr in exprs {
            let name = match expr {
                ast::Expr::Identifier(id) => ident(id),
                other => {
                    return Err(Error::unsupported(format!(
                        "expression \"{other}\" in a key constraint"
                    )))
                }
            };
            let position = self.columns.iter().position(|c| c.name == name).ok_or_else(|| {
                Error::sql(
                    sqlstate::UNDEFINED_COLUMN,
                    format!("column \"{name}\" named in key does not exist"),
                )
            })?;
            if out.contains(&position) {
                return Err(Error::sql(
                    sqlstate::DUPLICATE_COLUMN,
                    format!("column \"{name}\" appears twice in primary key constraint"),
                ));
            }
            out.push(position);
        }
        Ok(out)
    }

    /// Builds the table definition, validating DEFAULT and CHECK expressions by binding them.
    fn table_def(&self, id: u32, ctx: &DdlContext<'_>) -> Result<TableDef> {
        let (primary_key, primary_key_name) = match &self.primary_key {
            Some((cols, name)) => (
                Some(cols.clone()),
                Some(name.clone().unwrap_or_else(|| format!("{}_pkey", self.name))),
            ),
            None => (None, None),
        };
        let mut table = TableDef {
            id,
            name: self.name.clone(),
            columns: self.columns.clone(),
            primary_key,
            primary_key_name,
            checks: Vec::new(),
            kind: TableKind::Ordinary,
        };
        for column in &table.columns {
            if let Some(default) = &column.default {
                validate_default(ctx, column, default)?;
            }
        }
        let mut used_names: HashSet<String> = HashSet::new();
        for (name, expr, column) in &self.checks {
            let name = match name {
                Some(n) => n.clone(),
                None => {
                    let base = match column.or_else(|| first_referenced_column(&table, expr)) {
                        Some(c) => format!("{}_{}_check", table.name, table.columns[c].name),
                        None => format!("{}_check", table.name),
                    };
                    let mut candidate = base.clone();
                    let mut n = 0;
                    while used_names.contains(&candidate) {
                        n += 1;
                        candidate = format!("{base}{n}");
                    }
                    candidate
                }
            };
            used_names.insert(name.clone());
            table.checks.push(CheckDef {
                name,
                expr: expr.to_string(),
            });
        }
        for check in &table.checks {
            validate_check(ctx, &table, check)?;
        }
        Ok(table)
    }
}

/// The first column of `table` an expression mentions (PostgreSQL names CHECK constraints after it).
pub(super) fn first_referenced_column(table: &TableDef, expr: &ast::Expr) -> Option<usize> {
    let mut found = None;
    let _ = ast::visit_expressions(expr, |e| {
        if let ast::Expr::Identifier(id) = e {
            if let Some(c) = table.column_index(&ident(id)) {
                found = Some(c);
                return std::ops::ControlFlow::Break(());
            }
        }
        std::ops::ControlFlow::Continue(())
    });
    found
}

pub(super) fn parse_expr(text: &str) -> Result<ast::Expr> {
    let statements = sql::parse(&format!("SELECT {text}"))?;
    if let Some(ast::Statement::Query(q)) = statements.first() {
        if let ast::SetExpr::Select(select) = q.body.as_ref() {
            if let Some(ast::SelectItem::UnnamedExpr(e)) = select.projection.first() {
                return Ok(e.clone());
            }
        }
    }
    Err(Error::syntax(format!("invalid expression \"{text}\"")))
}

pub(super) fn validate_default(ctx: &DdlContext<'_>, column: &ColumnDef, default: &str) -> Result<()> {
    let expr = parse_expr(default)?;
    let (_, ty) = Binder::new(ctx.catalog, &[])
        .bind_table_expr(&expr, None)
        .map_err(|e| match e.sqlstate() {
            sqlstate::UNDEFINED_COLUMN => Error::sql(
                sqlstate::FEATURE_NOT_SUPPORTED,
                "cannot use column reference in DEFAULT expression",
            ),
            _ => e,
        })?;
    if ty != DataType::Unknown
        && !cast::can_coerce_implicitly(&ty, &column.data_type)
        && !assignable(&ty, &column.data_type)
    {
        return Err(Error::datatype_mismatch(format!(
            "column \"{}\" is of type {} but default expression is of type {}",
            column.name, column.data_type, ty
        ))
        .with_hint("You will need to rewrite or cast the expression."));
    }
    Ok(())
}

/// PostgreSQL's assignment casts beyond the implicit ones: numeric types narrow, anything to text.
fn assignable(from: &DataType, to: &DataType) -> bool {
    (from.is_numeric() && to.is_numeric()) || to.is_string() || (from.is_temporal() && to.is_temporal())
}

pub(super) fn validate_check(ctx: &DdlContext<'_>, table: &TableDef, check: &CheckDef) -> Result<()> {
    let expr = parse_expr(&check.expr)?;
    let (_, ty) = Binder::new(ctx.catalog, &[]).bind_table_expr(&expr, Some(table))?;
    if ty != DataType::Bool && ty != DataType::Unknown {
        return Err(Error::datatype_mismatch(format!(
            "argument of CHECK must be type boolean, not type {ty}"
        )));
    }
    Ok(())
}

/// CREATE TABLE name [(columns)] AS query: columns take the query's names and types.
fn create_as(name: &str, create: &ast::CreateTable, query: &ast::Query, ctx: &mut DdlContext<'_>) -> Result<String> {
    let mut binder = Binder::new(ctx.catalog, &[]);
    let plan = binder.bind_query(query)?;
    ctx.catalog.check_accesses(ctx.user, binder.accesses())?;
    if !create.columns.is_empty() && create.columns.len() > plan.columns.len() {
        return Err(Error::syntax("too many column names were specified"));
    }
    let mut seen = HashSet::new();
    let mut columns = Vec::new();
    for (i, out) in plan.columns.iter().enumerate() {
        let (col_name, data_type) = match create.columns.get(i) {
            Some(def) => (ident(&def.name), out.data_type.clone()),
            None => (out.name.clone(), out.data_type.clone()),
        };
        if !seen.insert(col_name.clone()) {
            return Err(Error::sql(
                sqlstate::DUPLICATE_COLUMN,
                format!("column \"{col_name}\" specified more than once"),
            ));
        }
        let data_type = if data_type == DataType::Unknown {
            DataType::Text
        } else {
            data_type
        };
        columns.push(ColumnDef {
            name: col_name,
            data_type,
            nullable: true,
            default: None,
        });
    }
    let table = TableDef {
        id: ctx.new_object_id()?,
        name: name.to_string(),
        columns,
        primary_key: None,
        primary_key_name: None,
        checks: Vec::new(),
        kind: TableKind::Ordinary,
    };
    ctx.persist(CatalogRecord::Table(table.clone()), false)?;
    let rows = ctx.query(&BoundStatement::Query(plan))?;
    let count = rows.len();
    for row in rows {
        let row = row
            .iter()
            .zip(&table.columns)
            .map(|(v, c)| cast::assign(v, &c.data_type))
            .collect::<Result<Vec<_>>>()?;
        table::insert_row(ctx.txn, &table, &[], row)?;
    }
    Ok(format!("SELECT {count}"))
}
