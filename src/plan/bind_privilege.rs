//! The catalog functions about roles and privileges: `current_user` and friends,
//! `pg_get_userbyid`, `has_table_privilege`. Like the other catalog functions they are
//! resolved against the snapshot being bound; the session's roles are read through its
//! settings, so a plan that used them is rebound for every execution.

use crate::catalog::{system, Privileges};
use crate::error::{sqlstate, Error, Result};
use crate::types::{DataType, Value};

use super::bind_catalog::{constant_int, constant_text, text, OID};
use super::bind_expr::Typed;
use super::binder::Binder;
use super::Expr;

impl Binder<'_> {
    /// `current_user` (`current_role`, `user`) and `session_user`.
    pub(super) fn bind_user_function(&mut self, name: &str) -> Typed {
        let (current, session) = self.user();
        let id = if name == "session_user" { session } else { current };
        text(self.catalog.role_name(id))
    }

    /// The settings that name the session's roles (`session_authorization`, `role`,
    /// `is_superuser`), as `current_setting` reads them; `None` for any other name.
    pub(super) fn role_setting(&mut self, name: &str) -> Option<String> {
        let name = name.to_lowercase();
        if !matches!(name.as_str(), "session_authorization" | "role" | "is_superuser") {
            return None;
        }
        let (current, session) = self.user();
        Some(match name.as_str() {
            "session_authorization" => self.catalog.role_name(session),
            "role" if current == session => "none".to_string(),
            "role" => self.catalog.role_name(current),
            _ => if self.catalog.is_superuser(current) {
                "on"
            } else {
                "off"
            }
            .to_string(),
        })
    }

    /// `pg_get_userbyid(oid)`: the role's name; PostgreSQL's `unknown (OID=n)` for others.
    pub(super) fn bind_get_userbyid(&mut self, arg: Typed) -> Typed {
        let map: Vec<(i64, String)> = self
            .catalog
            .roles()
            .iter()
            .map(|r| (system::role_oid(r.id), r.name.clone()))
            .collect();
        let (e, t) = arg;
        let key = self.coerce(e, &t, &OID);
        let (lookup, _) = self.oid_lookup((key.clone(), OID), map);
        let unknown = Expr::Binary {
            op: crate::types::ops::BinaryOp::Concat,
            left: Box::new(Expr::Binary {
                op: crate::types::ops::BinaryOp::Concat,
                left: Box::new(Expr::Constant(Value::Text("unknown (OID=".into()))),
                right: Box::new(Expr::Cast {
                    expr: Box::new(key),
                    to: DataType::Text,
                }),
            }),
            right: Box::new(Expr::Constant(Value::Text(")".into()))),
        };
        (Expr::Coalesce(vec![lookup, unknown]), DataType::Text)
    }

    /// `has_table_privilege([user,] table, privilege)`: the user by name or oid (the current
    /// user when left out), the table by name or oid, privileges as a comma-separated list of
    /// which any one suffices.
    pub(super) fn bind_has_table_privilege(&mut self, mut args: Vec<Typed>) -> Result<Typed> {
        let user = match args.len() {
            2 => self.user().0,
            3 => {
                let who = args.remove(0);
                self.role_argument(&who)?
            }
            _ => return Err(Error::unsupported("has_table_privilege with these arguments")),
        };
        let privilege = args
            .pop()
            .ok_or_else(|| Error::bug("has_table_privilege lost an argument"))?;
        let privilege = constant_text(&privilege)
            .ok_or_else(|| Error::unsupported("has_table_privilege with a computed privilege"))?;
        let wanted = Privileges::parse_list(&privilege)?;
        let table = args
            .pop()
            .ok_or_else(|| Error::bug("has_table_privilege lost an argument"))?;
        let superuser = self.catalog.is_superuser(user);
        // Catalog relations: readable by everyone, writable by superusers only.
        let system_answer = superuser || wanted.contains(Privileges::SELECT) && wanted.0 & !Privileges::SELECT.0 == 0;
        let any = |b: &Self, id: u32| {
            wanted
                .names()
                .iter()
                .filter_map(|n| Privileges::by_name(n))
                .any(|p| b.catalog.has_privilege(user, id, p))
        };
        let is_name = table.1.is_string() || table.1 == DataType::Unknown;
        if is_name && constant_text(&table).is_some() {
            let oid = self.regclass_constant(&table)?;
            let answer = self
                .relation_ids()
                .into_iter()
                .find(|(o, _)| *o == oid)
                .map_or(system_answer, |(_, id)| any(self, id));
            return Ok((Expr::Constant(Value::Bool(answer)), DataType::Bool));
        }
        if let Some(oid) = constant_int(&table.0) {
            let answer = match oid {
                None => return Ok((Expr::Constant(Value::Null), DataType::Bool)),
                Some(oid) => self
                    .relation_ids()
                    .into_iter()
                    .find(|(o, _)| *o == oid)
                    .map_or(system_answer, |(_, id)| any(self, id)),
            };
            return Ok((Expr::Constant(Value::Bool(answer)), DataType::Bool));
        }
        let (e, t) = table;
        let key = self.coerce(e, &t, &OID);
        let branches = self
            .relation_ids()
            .into_iter()
            .map(|(oid, id)| {
                (
                    Expr::Constant(Value::Int8(oid)),
                    Expr::Constant(Value::Bool(any(self, id))),
                )
            })
            .collect::<Vec<_>>();
        let else_expr = Some(Box::new(Expr::Constant(Value::Bool(system_answer))));
        if branches.is_empty() {
            return Ok((Expr::Constant(Value::Bool(system_answer)), DataType::Bool));
        }
        Ok((
            Expr::Case {
                operand: Some(Box::new(key)),
                branches,
                else_expr,
            },
            DataType::Bool,
        ))
    }

    /// (pg_class oid, catalog id) of every user table and view.
    fn relation_ids(&self) -> Vec<(i64, u32)> {
        self.catalog
            .tables()
            .map(|t| t.id)
            .chain(self.catalog.views().map(|v| v.id))
            .map(|id| (system::relation_oid(id), id))
            .collect()
    }

    /// A role given by name or oid: its id, or 42704.
    fn role_argument(&self, arg: &Typed) -> Result<u32> {
        if let Some(name) = constant_text(arg) {
            if arg.1.is_string() || arg.1 == DataType::Unknown {
                return self
                    .catalog
                    .role(&name)
                    .map(|r| r.id)
                    .ok_or_else(|| Error::sql(sqlstate::UNDEFINED_OBJECT, format!("role \"{name}\" does not exist")));
            }
        }
        if let Some(Some(oid)) = constant_int(&arg.0) {
            return self
                .catalog
                .roles()
                .iter()
                .find(|r| system::role_oid(r.id) == oid)
                .map(|r| r.id)
                .ok_or_else(|| {
                    Error::sql(
                        sqlstate::UNDEFINED_OBJECT,
                        format!("role with OID {oid} does not exist"),
                    )
                });
        }
        Err(Error::unsupported("has_table_privilege for a computed role"))
    }
}
