//! PostgreSQL's system catalogs as the binder sees them: `pg_catalog.*` and
//! `information_schema.*` relations and the catalog functions (`format_type`,
//! `pg_get_indexdef`, `current_setting`, ...); the `reg*` casts are in `bind_reg_cast`.
//!
//! Everything is resolved against the snapshot being bound. Relations become `Values` of
//! constants; functions whose answer depends on an oid known only at run time become a CASE
//! over every oid the snapshot has, so the executor needs no catalog access. A prepared
//! statement is rebound when the catalog version changes, which keeps both correct.

use std::collections::BTreeMap;

use crate::catalog::system::{self, SystemContext, SystemSchema};
use crate::error::{sqlstate, Error, Result};
use crate::sql::ast;
use crate::types::ops::BinaryOp;
use crate::types::{DataType, Value};

use super::bind_expr::Typed;
use super::bind_from::output_scope;
use super::binder::Binder;
use super::plan::{OutputColumn, Plan};
use super::scope::Scope;
use super::Expr;

pub(super) const OID: DataType = system::OID;

pub(super) fn text(s: impl Into<String>) -> Typed {
    (Expr::Constant(Value::Text(s.into())), DataType::Text)
}

fn boolean(b: bool) -> Typed {
    (Expr::Constant(Value::Bool(b)), DataType::Bool)
}

impl Binder<'_> {
    /// The system relation `schema.rel` (`schema` None: an unqualified `pg_*` name that no
    /// user relation shadows), or `None` when there is no such system relation.
    pub(super) fn bind_system_relation(
        &mut self,
        schema: Option<&str>,
        rel: &str,
        alias: Option<&ast::TableAlias>,
    ) -> Result<Option<(Plan, Scope)>> {
        let kind = match schema {
            Some("pg_catalog") | None => SystemSchema::PgCatalog,
            Some("information_schema") => SystemSchema::InformationSchema,
            _ => return Ok(None),
        };
        if !system::is_system_relation(kind, rel) {
            return Ok(None);
        }
        if rel == "pg_settings" {
            self.settings_used = true;
        }
        // Only superusers may read stored password verifiers, as in PostgreSQL.
        if rel == "pg_authid" && !self.catalog.is_superuser(self.user().0) {
            return Err(Error::sql(
                sqlstate::INSUFFICIENT_PRIVILEGE,
                "permission denied for table pg_authid",
            ));
        }
        let mut ctx = SystemContext {
            settings: self.settings.map(|s| s.all()).unwrap_or_default(),
            ..SystemContext::default()
        };
        if matches!(rel, "table_privileges" | "role_table_grants") {
            ctx.user = self.user().0;
        }
        if system::needs_view_columns(rel) {
            ctx.view_columns = self.view_columns();
        }
        let Some(relation) = system::system_relation(self.catalog, kind, rel, &ctx) else {
            return Ok(None);
        };
        let columns: Vec<OutputColumn> = relation
            .columns
            .iter()
            .map(|(name, data_type)| OutputColumn {
                name: name.clone(),
                data_type: data_type.clone(),
                source: None,
            })
            .collect();
        let width = columns.len();
        let rows = relation
            .rows
            .into_iter()
            .map(|r| r.into_iter().map(Expr::Constant).collect())
            .collect();
        let alias_name = alias
            .map(|a| super::sql_type::fold_ident(&a.name))
            .unwrap_or_else(|| rel.to_string());
        let scope = output_scope(&alias_name, &columns, alias)?;
        Ok(Some((Plan::Values { rows, width }, scope)))
    }

    /// `ARRAY(subquery)`: the subquery's single column aggregated in row order, `{}` when it
    /// returns no rows.
    pub(super) fn bind_array_subquery(&mut self, q: &ast::Query, scope: &Scope) -> Result<Typed> {
        let sql = format!("SELECT array_agg(array_subquery.c) FROM ({q}) AS array_subquery(c)");
        let stmts = crate::sql::parse(&sql)?;
        let [ast::Statement::Query(wrapped)] = stmts.as_slice() else {
            return Err(Error::bug("ARRAY(subquery) rewrite is not one query"));
        };
        let (e, t) = self.bind_scalar_subquery(wrapped, scope)?;
        Ok((Expr::Coalesce(vec![e, Expr::Constant(Value::Array(Vec::new()))]), t))
    }

    /// Output columns of every view whose query still binds.
    fn view_columns(&mut self) -> BTreeMap<u32, Vec<(String, DataType)>> {
        let mut out = BTreeMap::new();
        // Describing views is catalog reading, which everyone may do.
        let accesses = self.accesses.len();
        let views: Vec<_> = self.catalog.views().cloned().collect();
        for v in views {
            let Ok(stmts) = crate::sql::parse(&v.sql) else { continue };
            let [ast::Statement::Query(q)] = stmts.as_slice() else {
                continue;
            };
            let Ok(qp) = self.isolated(|b| b.query(q)) else {
                continue;
            };
            let cols = qp
                .columns
                .iter()
                .enumerate()
                .map(|(k, c)| {
                    let name = v.column_names.get(k).cloned().unwrap_or_else(|| c.name.clone());
                    (name, c.data_type.clone())
                })
                .collect();
            out.insert(v.id, cols);
        }
        self.accesses.truncate(accesses);
        out
    }

    /// A CASE mapping an oid expression to text through `map` (NULL for other oids).
    pub(super) fn oid_lookup(&mut self, arg: Typed, map: Vec<(i64, String)>) -> Typed {
        if map.is_empty() {
            return (Expr::Constant(Value::Null), DataType::Text);
        }
        let (e, t) = arg;
        let key = self.coerce(e, &t, &OID);
        let branches = map
            .into_iter()
            .map(|(k, v)| (Expr::Constant(Value::Int8(k)), Expr::Constant(Value::Text(v))))
            .collect();
        (
            Expr::Case {
                operand: Some(Box::new(key)),
                branches,
                else_expr: None,
            },
            DataType::Text,
        )
    }

    /// The catalog functions; `None` when `name` is not one of them.
    pub(super) fn bind_catalog_function(&mut self, name: &str, mut args: Vec<Typed>) -> Result<Option<Typed>> {
        let n = args.len();
        let first = if args.is_empty() { None } else { Some(args.remove(0)) };
        Ok(Some(match (name, first) {
            ("current_database" | "current_catalog", None) => text(system::DATABASE_NAME),
            ("current_user" | "session_user" | "user" | "current_role", None) => self.bind_user_function(name),
            ("current_schemas", Some((Expr::Constant(Value::Bool(implicit)), _))) if n == 1 => {
                let mut v = Vec::new();
                if implicit {
                    v.push(Value::Text("pg_catalog".into()));
                }
                v.push(Value::Text("public".into()));
                (
                    Expr::Constant(Value::Array(v)),
                    DataType::Array(Box::new(DataType::Text)),
                )
            }
            ("current_setting", Some(arg)) if n <= 2 => {
                let missing_ok = matches!(args.first(), Some((Expr::Constant(Value::Bool(true)), _)));
                let setting = constant_text(&arg)
                    .ok_or_else(|| Error::unsupported("current_setting with a non-constant name"))?;
                match self.setting(&setting) {
                    Some(v) => text(v),
                    None if missing_ok => (Expr::Constant(Value::Null), DataType::Text),
                    None => {
                        return Err(Error::sql(
                            sqlstate::UNDEFINED_OBJECT,
                            format!("unrecognized configuration parameter \"{setting}\""),
                        ))
                    }
                }
            }
            ("set_config", Some(_)) if n == 3 => {
                return Err(Error::unsupported("set_config(); use SET"));
            }
            ("pg_backend_pid", None) => (Expr::Constant(Value::Int4(std::process::id() as i32)), DataType::Int4),
            ("pg_is_in_recovery", None) => boolean(false),
            ("format_type", Some(type_oid)) if n == 2 => {
                let typmod = args.remove(0);
                self.format_type_expr(type_oid, typmod)?
            }
            ("pg_get_expr", Some((e, t))) if n == 2 || n == 3 => (self.coerce(e, &t, &DataType::Text), DataType::Text),
            ("pg_get_indexdef", Some(arg)) if n == 1 || n == 3 => {
                let column = args.first().and_then(|(e, _)| constant_int(e)).flatten().unwrap_or(0);
                let pretty = matches!(args.get(1), Some((Expr::Constant(Value::Bool(true)), _)));
                let defs = system::index_definitions(self.catalog);
                let map = defs
                    .into_iter()
                    .filter_map(|d| {
                        if column <= 0 {
                            Some((d.oid, if pretty { d.pretty } else { d.definition }))
                        } else {
                            let c = d.columns.get(column as usize - 1)?.clone();
                            Some((d.oid, c))
                        }
                    })
                    .collect();
                self.oid_lookup(arg, map)
            }
            ("pg_get_constraintdef", Some(arg)) if n == 1 || n == 2 => {
                let map = system::constraint_definitions(self.catalog);
                self.oid_lookup(arg, map)
            }
            ("pg_get_viewdef", Some(arg)) if n == 1 || n == 2 => {
                let map = system::view_definitions(self.catalog);
                if arg.1.is_string() || arg.1 == DataType::Unknown {
                    let oid = self.regclass_constant(&arg)?;
                    let def = map.into_iter().find(|(o, _)| *o == oid).map(|(_, d)| d);
                    (
                        def.map_or(Expr::Constant(Value::Null), |d| Expr::Constant(Value::Text(d))),
                        DataType::Text,
                    )
                } else {
                    self.oid_lookup(arg, map)
                }
            }
            ("pg_get_userbyid", Some(arg)) if n == 1 => self.bind_get_userbyid(arg),
            ("has_table_privilege", Some(first)) if n == 2 || n == 3 => {
                args.insert(0, first);
                self.bind_has_table_privilege(args)?
            }
            ("to_regclass", Some(arg)) if n == 1 && constant_text(&arg).is_none() => self.relation_name_lookup(arg),
            ("to_regtype", Some(arg)) if n == 1 && constant_text(&arg).is_none() => self.type_name_lookup(arg),
            ("to_regclass", Some(arg)) if n == 1 => match self.regclass_constant(&arg) {
                Ok(oid) => (Expr::Constant(Value::Int8(oid)), OID),
                Err(e) if e.sqlstate() == "42P01" => (Expr::Constant(Value::Null), OID),
                Err(e) => return Err(e),
            },
            ("to_regtype", Some(arg)) if n == 1 => {
                let n = constant_text(&arg).ok_or_else(|| Error::unsupported("to_regtype of a non-constant name"))?;
                let oid = system::type_oid_by_name(&n.to_lowercase());
                (Expr::Constant(oid.map_or(Value::Null, Value::Int8)), OID)
            }
            ("pg_encoding_to_char", Some(arg)) if n == 1 => self.oid_lookup(arg, vec![(6, "UTF8".into())]),
            ("pg_table_is_visible", Some((e, t))) if n == 1 => {
                // Everything but information_schema is on the search path (public, pg_catalog).
                let key = self.coerce(e, &t, &OID);
                let branches = system::information_schema_oids()
                    .into_iter()
                    .map(|o| (Expr::Constant(Value::Int8(o)), Expr::Constant(Value::Bool(false))))
                    .collect();
                let case = Expr::Case {
                    operand: Some(Box::new(key.clone())),
                    branches,
                    else_expr: Some(Box::new(Expr::Constant(Value::Bool(true)))),
                };
                let null = Expr::IsNull {
                    expr: Box::new(key),
                    negated: false,
                };
                (
                    Expr::Case {
                        operand: None,
                        branches: vec![(null, Expr::Constant(Value::Null))],
                        else_expr: Some(Box::new(case)),
                    },
                    DataType::Bool,
                )
            }
            ("pg_type_is_visible" | "pg_function_is_visible", Some(_)) if n == 1 => boolean(true),
            ("pg_relation_is_publishable", Some(_)) if n == 1 => boolean(false),
            (
                "has_table_privilege"
                | "has_schema_privilege"
                | "has_database_privilege"
                | "has_column_privilege"
                | "has_any_column_privilege"
                | "has_function_privilege"
                | "has_sequence_privilege",
                Some(_),
            ) => boolean(true),
            ("obj_description" | "col_description" | "shobj_description", Some(_)) if n <= 2 => {
                (Expr::Constant(Value::Null), DataType::Text)
            }
            ("pg_size_pretty", Some((e, DataType::Int8 | DataType::Numeric(_)))) if n == 1 => match constant_int(&e) {
                Some(Some(bytes)) => text(size_pretty(bytes)),
                Some(None) => (Expr::Constant(Value::Null), DataType::Text),
                None => return Err(Error::unsupported("pg_size_pretty of a computed size")),
            },
            ("pg_get_statisticsobjdef_columns", Some(_)) if n == 1 => (Expr::Constant(Value::Null), DataType::Text),
            ("pg_relation_size" | "pg_total_relation_size" | "pg_table_size" | "pg_indexes_size", Some(_))
                if n == 1 =>
            {
                (Expr::Constant(Value::Int8(0)), DataType::Int8)
            }
            _ => return Ok(None),
        }))
    }

    /// A setting's current value; `None` when unknown (or no session is binding).
    fn setting(&mut self, name: &str) -> Option<String> {
        self.settings_used = true;
        if let Some(v) = self.role_setting(name) {
            return Some(v);
        }
        if let Some(v) = self.settings.and_then(|s| s.value(name).ok()) {
            return Some(v);
        }
        // Read-only parameters PostgreSQL always reports.
        Some(
            match name.to_lowercase().as_str() {
                "search_path" => "\"$user\", public",
                "server_version" => "15.0",
                "server_version_num" => "150000",
                "server_encoding" => "UTF8",
                _ => return None,
            }
            .to_string(),
        )
    }

    /// `format_type(oid, typmod)`: the catalog's (oid, typmod) pairs first, then every
    /// built-in type by oid alone.
    fn format_type_expr(&mut self, type_oid: Typed, typmod: Typed) -> Result<Typed> {
        let (oe, ot) = type_oid;
        let oid_expr = self.coerce(oe, &ot, &OID);
        let (me, mt) = typmod;
        let typmod_expr = self.coerce(me, &mt, &DataType::Int4);
        let mut pairs: Vec<(i64, i32)> = Vec::new();
        for t in self.catalog.tables() {
            for c in &t.columns {
                let p = (i64::from(c.data_type.oid()), c.data_type.typmod());
                if p.1 >= 0 && !pairs.contains(&p) {
                    pairs.push(p);
                }
            }
        }
        let mut branches = Vec::new();
        for (o, m) in pairs {
            let Some(name) = system::format_type(o, m) else {
                continue;
            };
            let (oid_eq, _) = self.apply_binary(
                BinaryOp::Eq,
                (oid_expr.clone(), OID),
                (Expr::Constant(Value::Int8(o)), OID),
            )?;
            let (mod_eq, _) = self.apply_binary(
                BinaryOp::Eq,
                (typmod_expr.clone(), DataType::Int4),
                (Expr::Constant(Value::Int4(m)), DataType::Int4),
            )?;
            branches.push((Expr::And(vec![oid_eq, mod_eq]), Expr::Constant(Value::Text(name))));
        }
        let mut by_oid = Vec::new();
        for t in system::BUILTIN_TYPES {
            for o in [t.oid, t.array] {
                if o != 0 {
                    if let Some(name) = system::format_type(i64::from(o), -1) {
                        by_oid.push((i64::from(o), name));
                    }
                }
            }
        }
        let (fallback, _) = self.oid_lookup((oid_expr.clone(), OID), by_oid);
        let fallback = Expr::Case {
            operand: None,
            branches: vec![(
                Expr::IsNull {
                    expr: Box::new(oid_expr),
                    negated: false,
                },
                Expr::Constant(Value::Null),
            )],
            else_expr: Some(Box::new(Expr::Coalesce(vec![
                fallback,
                Expr::Constant(Value::Text("???".into())),
            ]))),
        };
        if branches.is_empty() {
            return Ok((fallback, DataType::Text));
        }
        Ok((
            Expr::Case {
                operand: None,
                branches,
                else_expr: Some(Box::new(fallback)),
            },
            DataType::Text,
        ))
    }
}

/// `pg_size_pretty(bigint)` as PostgreSQL computes it: bytes below 10 kB, then the first of
/// kB, MB, GB, TB whose value stays below 20480 after rounding half away from zero.
fn size_pretty(bytes: i64) -> String {
    const LIMIT: i64 = 10 * 1024;
    const LIMIT2: i64 = LIMIT * 2 - 1;
    if bytes.abs() < LIMIT {
        return format!("{bytes} bytes");
    }
    let half_rounded = |x: i64| (x + if x < 0 { -1 } else { 1 }) / 2;
    // One extra bit is kept for rounding.
    let mut size = bytes >> 9;
    for unit in ["kB", "MB", "GB"] {
        if size.abs() < LIMIT2 {
            return format!("{} {unit}", half_rounded(size));
        }
        size >>= 10;
    }
    format!("{} TB", half_rounded(size))
}

/// An integer constant, possibly under casts: `Some(None)` for NULL, `None` if not constant.
pub(super) fn constant_int(e: &Expr) -> Option<Option<i64>> {
    match e {
        Expr::Constant(Value::Null) => Some(None),
        Expr::Constant(Value::Int2(v)) => Some(Some(i64::from(*v))),
        Expr::Constant(Value::Int4(v)) => Some(Some(i64::from(*v))),
        Expr::Constant(Value::Int8(v)) => Some(Some(*v)),
        Expr::Cast { expr, .. } => constant_int(expr),
        _ => None,
    }
}

pub(super) fn constant_text(arg: &Typed) -> Option<String> {
    match &arg.0 {
        Expr::Constant(Value::Text(s)) => Some(s.clone()),
        Expr::Cast { expr, .. } => match expr.as_ref() {
            Expr::Constant(Value::Text(s)) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    }
}
