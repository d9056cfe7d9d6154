//! Casts to PostgreSQL's object-identifier types (`oid`, `regclass`, `regtype`,
//! `regnamespace`, ...): a name becomes the oid the system relations give it, an oid becomes
//! its name. Constant names resolve at bind time (with PostgreSQL's errors for unknown
//! ones); names known only at run time (parameters) go through a CASE over every name the
//! snapshot has.

use crate::catalog::system::{self, SystemSchema};
use crate::error::{sqlstate, Error, Result};
use crate::sql::ast;
use crate::types::{DataType, Value};

use super::bind_catalog::{constant_text, OID};
use super::bind_expr::Typed;
use super::binder::Binder;
use super::scope::Scope;
use super::Expr;

impl Binder<'_> {
    /// A CASE mapping a name expression known only at run time (a parameter) to an oid
    /// through `map`; NULL for a name not in it.
    fn name_lookup(&mut self, arg: Typed, map: Vec<(String, i64)>) -> Typed {
        let (e, t) = arg;
        let key = self.coerce(e, &t, &DataType::Text);
        let branches = map
            .into_iter()
            .map(|(k, v)| (Expr::Constant(Value::Text(k)), Expr::Constant(Value::Int8(v))))
            .collect();
        (
            Expr::Case {
                operand: Some(Box::new(key)),
                branches,
                else_expr: None,
            },
            OID,
        )
    }

    /// `$1::regclass`: every relation under its bare and schema-qualified names.
    pub(super) fn relation_name_lookup(&mut self, arg: Typed) -> Typed {
        let mut map = Vec::new();
        for (oid, name) in system::relation_names(self.catalog) {
            let schema = if system::system_relation_oid(&name) == Some(oid) {
                if system::is_system_relation(SystemSchema::InformationSchema, &name) {
                    "information_schema"
                } else {
                    "pg_catalog"
                }
            } else {
                "public"
            };
            map.push((format!("{schema}.{name}"), oid));
            map.push((name, oid));
        }
        self.name_lookup(arg, map)
    }

    /// `$1::regtype`: every built-in type under the names `::regtype` accepts.
    pub(super) fn type_name_lookup(&mut self, arg: Typed) -> Typed {
        let mut map = Vec::new();
        for (oid, display) in all_type_names() {
            map.push((display, oid));
        }
        for t in system::BUILTIN_TYPES {
            map.push((t.name.to_string(), i64::from(t.oid)));
            if t.array != 0 {
                map.push((format!("_{}", t.name), i64::from(t.array)));
            }
        }
        for alias in [
            "int",
            "integer",
            "smallint",
            "bigint",
            "real",
            "boolean",
            "decimal",
            "char",
            "character",
        ] {
            if let Some(oid) = system::type_oid_by_name(alias) {
                map.push((alias.to_string(), oid));
            }
        }
        self.name_lookup(arg, map)
    }

    /// A relation name constant's oid, or 42P01.
    pub(super) fn regclass_constant(&self, arg: &Typed) -> Result<i64> {
        let name = constant_text(arg).ok_or_else(|| Error::unsupported("regclass of a non-constant name"))?;
        let bare = unqualify(&name);
        system::relation_oid_by_name(self.catalog, &bare).ok_or_else(|| Error::undefined_table(&name))
    }

    /// `x::regclass` (or another `reg*` type) about to be cast to text: its name, as
    /// PostgreSQL prints a `reg*` value. `None` when `e` is not such a cast.
    pub(super) fn bind_reg_as_text(&mut self, e: &ast::Expr, scope: &Scope) -> Result<Option<Typed>> {
        let ast::Expr::Cast { data_type, .. } = e else {
            return Ok(None);
        };
        let reg = catalog_type_name(&data_type.to_string());
        if !is_catalog_type(&reg) || reg == "oid" || reg == "\"char\"" {
            return Ok(None);
        }
        let bound = self.bind_expr(e, scope)?;
        if bound.1 == OID {
            return self.bind_catalog_cast(&reg, bound);
        }
        Ok(Some(bound))
    }

    /// Casts to PostgreSQL's object-identifier types (`oid`, `regclass`, `regtype`, ...):
    /// a name becomes its oid, an oid becomes its name. `None` for any other type.
    pub(super) fn bind_catalog_cast(&mut self, type_name: &str, arg: Typed) -> Result<Option<Typed>> {
        let name = catalog_type_name(type_name);
        let name = name.as_str();
        let is_name = arg.1.is_string() || arg.1 == DataType::Unknown;
        Ok(Some(match name {
            "oid" | "regproc" | "regprocedure" | "regrole" | "regnamespace" if is_name => {
                if let Ok(v) = constant_text(&arg).unwrap_or_default().trim().parse::<i64>() {
                    (Expr::Constant(Value::Int8(v)), OID)
                } else if name == "oid" {
                    let (e, t) = arg;
                    (self.explicit_cast(e, &t, &OID), OID)
                } else if name == "regnamespace" {
                    let n = constant_text(&arg).unwrap_or_default();
                    let oid = match unquote(&n).as_str() {
                        "pg_catalog" => system::PG_CATALOG_OID,
                        "public" => system::PUBLIC_OID,
                        "information_schema" => system::INFORMATION_SCHEMA_OID,
                        "pg_toast" => system::PG_TOAST_OID,
                        _ => return Err(Error::sql("3F000", format!("schema \"{n}\" does not exist"))),
                    };
                    (Expr::Constant(Value::Int8(i64::from(oid))), OID)
                } else if name == "regrole" {
                    (Expr::Constant(Value::Int8(i64::from(system::OWNER_OID))), OID)
                } else if let Some(proc_name) = constant_text(&arg) {
                    // Functions are named, not numbered, in Vellum's `pg_proc`-facing columns
                    // (`pg_type.typinput` holds `array_in`), so a regproc stays its bare name.
                    let bare = proc_name.split('(').next().unwrap_or_default().trim();
                    let bare = bare.strip_prefix("pg_catalog.").unwrap_or(bare);
                    (Expr::Constant(Value::Text(bare.to_string())), DataType::Text)
                } else {
                    return Err(Error::unsupported(format!("casting text to {name}")));
                }
            }
            "oid" => {
                let (e, t) = arg;
                (self.explicit_cast(e, &t, &OID), OID)
            }
            "regclass" if is_name && constant_text(&arg).is_none() => self.relation_name_lookup(arg),
            "regclass" if is_name => (Expr::Constant(Value::Int8(self.regclass_constant(&arg)?)), OID),
            "regclass" => {
                let map = system::relation_names(self.catalog);
                self.oid_lookup(arg, map)
            }
            "regtype" if is_name && constant_text(&arg).is_none() => self.type_name_lookup(arg),
            "regtype" if is_name => {
                let n = constant_text(&arg).ok_or_else(|| Error::unsupported("regtype of a non-constant name"))?;
                let oid = system::type_oid_by_name(&n.to_lowercase())
                    .ok_or_else(|| Error::sql(sqlstate::UNDEFINED_OBJECT, format!("type \"{n}\" does not exist")))?;
                (Expr::Constant(Value::Int8(oid)), OID)
            }
            "regtype" => {
                let map = all_type_names();
                self.oid_lookup(arg, map)
            }
            "regnamespace" => {
                let map = vec![
                    (i64::from(system::PG_CATALOG_OID), "pg_catalog".to_string()),
                    (i64::from(system::PG_TOAST_OID), "pg_toast".to_string()),
                    (i64::from(system::PUBLIC_OID), "public".to_string()),
                    (
                        i64::from(system::INFORMATION_SCHEMA_OID),
                        "information_schema".to_string(),
                    ),
                ];
                self.oid_lookup(arg, map)
            }
            "regrole" => self.oid_lookup(arg, vec![(i64::from(system::OWNER_OID), system::OWNER_NAME.into())]),
            "regproc" | "regprocedure" => {
                let (e, t) = arg;
                (self.explicit_cast(e, &t, &DataType::Text), DataType::Text)
            }
            "\"char\"" => {
                let (e, t) = arg;
                (self.explicit_cast(e, &t, &DataType::Text), DataType::Text)
            }
            _ => return Ok(None),
        }))
    }
}

/// Whether a cast to `type_name` is one `bind_catalog_cast` answers.
pub(super) fn is_catalog_type(type_name: &str) -> bool {
    matches!(
        catalog_type_name(type_name).as_str(),
        "oid" | "regclass" | "regtype" | "regproc" | "regprocedure" | "regnamespace" | "regrole" | "\"char\""
    )
}

/// The type name without `pg_catalog.`, lower case; `"char"` keeps its quotes (unquoted
/// `char` is `character(1)`).
fn catalog_type_name(type_name: &str) -> String {
    let name = type_name.to_lowercase();
    name.strip_prefix("pg_catalog.").unwrap_or(&name).to_string()
}

pub(super) fn all_type_names() -> Vec<(i64, String)> {
    let mut v = Vec::new();
    for t in system::BUILTIN_TYPES {
        for o in [t.oid, t.array] {
            if let (true, Some(name)) = (o != 0, system::format_type(i64::from(o), -1)) {
                v.push((i64::from(o), name));
            }
        }
    }
    v
}

fn unquote(name: &str) -> String {
    if name.starts_with('"') && name.ends_with('"') && name.len() >= 2 {
        name[1..name.len() - 1].replace("\"\"", "\"")
    } else {
        name.to_lowercase()
    }
}

/// `public.t` / `pg_catalog.pg_class` / `"T"` → the relation name as the catalog stores it.
fn unqualify(name: &str) -> String {
    let name = name.trim();
    let last = match name.rsplit_once('.') {
        Some((schema, rel)) if matches!(unquote(schema).as_str(), "public" | "pg_catalog" | "information_schema") => {
            rel
        }
        _ => name,
    };
    unquote(last)
}
