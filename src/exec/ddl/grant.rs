//! GRANT and REVOKE of table privileges (tables and views, by name or `ALL TABLES IN SCHEMA
//! public`) to roles and PUBLIC. Only a relation's owner or a superuser grants; the grantor
//! recorded is the owner, as PostgreSQL records it when a superuser grants. Grant options and
//! column privileges are not supported (0A000).

use crate::catalog::{privilege, CatalogRecord, Privileges};
use crate::error::{sqlstate, Error, Notice, Result};
use crate::sql::{self, ast};

use super::DdlContext;

pub(super) fn grant(grant: &ast::Grant, ctx: &mut DdlContext<'_>) -> Result<String> {
    if grant.with_grant_option {
        return Err(Error::unsupported("WITH GRANT OPTION"));
    }
    if grant.as_grantor.is_some() || grant.granted_by.is_some() || grant.current_grants.is_some() {
        return Err(Error::unsupported("GRANTED BY"));
    }
    if let Some(ast::GrantObjects::Schemas(schemas)) = &grant.objects {
        return grant_on_public_schema(grant, schemas, ctx);
    }
    let privileges = privileges(&grant.privileges)?;
    change_grants(grant.objects.as_ref(), &grant.grantees, ctx, Change::Grant(privileges))?;
    Ok("GRANT".into())
}

/// `GRANT USAGE, CREATE ON SCHEMA public`: every role already holds both on Vellum's only
/// schema (PostgreSQL 14's default), so the grant changes nothing; it is accepted so that
/// scripts written for PostgreSQL 15, which must grant them, run unchanged.
fn grant_on_public_schema(grant: &ast::Grant, schemas: &[ast::ObjectName], ctx: &DdlContext<'_>) -> Result<String> {
    for schema in schemas {
        public_schema(schema)?;
    }
    if let ast::Privileges::Actions(actions) = &grant.privileges {
        for action in actions {
            if !matches!(action, ast::Action::Usage | ast::Action::Create { obj_type: None }) {
                return Err(Error::sql(
                    sqlstate::INVALID_GRANT_OPERATION,
                    format!("invalid privilege type {action} for schema"),
                ));
            }
        }
    }
    grantees(&grant.grantees, ctx)?;
    Ok("GRANT".into())
}

pub(super) fn revoke(revoke: &ast::Revoke, ctx: &mut DdlContext<'_>) -> Result<String> {
    if revoke.grant_option_for {
        return Err(Error::unsupported("GRANT OPTION FOR"));
    }
    if revoke.granted_by.is_some() {
        return Err(Error::unsupported("GRANTED BY"));
    }
    let privileges = privileges(&revoke.privileges)?;
    change_grants(
        revoke.objects.as_ref(),
        &revoke.grantees,
        ctx,
        Change::Revoke(privileges),
    )?;
    Ok("REVOKE".into())
}

#[derive(Clone, Copy)]
enum Change {
    Grant(Privileges),
    Revoke(Privileges),
}

/// Applies a GRANT or REVOKE to every named relation the current user may change grants on.
fn change_grants(
    objects: Option<&ast::GrantObjects>,
    grantees: &[ast::Grantee],
    ctx: &mut DdlContext<'_>,
    change: Change,
) -> Result<()> {
    let relations = relations(objects, ctx)?;
    let grantees = self::grantees(grantees, ctx)?;
    let warning = match change {
        Change::Grant(_) => (sqlstate::PRIVILEGE_NOT_GRANTED, "no privileges were granted"),
        Change::Revoke(_) => (sqlstate::PRIVILEGE_NOT_REVOKED, "no privileges could be revoked"),
    };
    for (id, kind, name) in relations {
        if ctx.catalog.is_system_table(id) {
            // A system table is read as granted and written by nobody: superusers may grant
            // and revoke SELECT on it, and revoke anything.
            privilege::require_superuser(ctx.catalog, ctx.user, &format!("change grants on \"{name}\""))?;
            if let Change::Grant(p) = change {
                if !Privileges::SELECT.contains(p) {
                    ctx.catalog.refuse_system_table(id, &name)?;
                }
            }
        } else if !may_grant(ctx, id, kind, &name, warning)? {
            continue;
        }
        let mut acl = ctx.catalog.object_acl(id);
        for &g in &grantees {
            match change {
                Change::Grant(p) => acl.grant(g, p),
                Change::Revoke(p) => acl.revoke(g, p),
            }
        }
        ctx.persist(CatalogRecord::Acl(acl), true)?;
    }
    Ok(())
}

/// Vellum has one schema, `public`; any other name is 3F000 as PostgreSQL words it.
fn public_schema(schema: &ast::ObjectName) -> Result<()> {
    let schema = sql::object_name(schema)?;
    if schema != "public" {
        return Err(Error::sql(
            sqlstate::INVALID_SCHEMA_NAME,
            format!("schema \"{schema}\" does not exist"),
        ));
    }
    Ok(())
}

/// Whether the current user may change grants on the relation: its owner or a superuser.
/// Anyone else holds no grant options (Vellum has none to give), so as in PostgreSQL a role
/// with some privilege on it gets a warning and nothing changes, and a role with none 42501.
fn may_grant(ctx: &mut DdlContext<'_>, id: u32, kind: &str, name: &str, warning: (&'static str, &str)) -> Result<bool> {
    if privilege::require_owner(ctx.catalog, ctx.user, id, kind, name).is_ok() {
        return Ok(true);
    }
    let holds_any = ctx.catalog.has_privilege(ctx.user, id, Privileges::SELECT)
        || Privileges::ALL
            .names()
            .iter()
            .filter_map(|n| Privileges::by_name(n))
            .any(|p| ctx.catalog.has_privilege(ctx.user, id, p));
    if holds_any {
        ctx.notices
            .push(Notice::warning(warning.0, format!("{} for \"{name}\"", warning.1)));
        return Ok(false);
    }
    Err(Error::sql(
        sqlstate::INSUFFICIENT_PRIVILEGE,
        format!("permission denied for {kind} {name}"),
    ))
}

fn privileges(p: &ast::Privileges) -> Result<Privileges> {
    let actions = match p {
        ast::Privileges::All { .. } => return Ok(Privileges::ALL),
        ast::Privileges::Actions(actions) => actions,
    };
    let mut out = Privileges::default();
    for action in actions {
        let (bit, columns) = match action {
            ast::Action::Select { columns } => (Privileges::SELECT, columns.is_some()),
            ast::Action::Insert { columns } => (Privileges::INSERT, columns.is_some()),
            ast::Action::Update { columns } => (Privileges::UPDATE, columns.is_some()),
            ast::Action::References { columns } => (Privileges::REFERENCES, columns.is_some()),
            ast::Action::Delete => (Privileges::DELETE, false),
            ast::Action::Truncate => (Privileges::TRUNCATE, false),
            ast::Action::Trigger => (Privileges::TRIGGER, false),
            other => {
                return Err(Error::sql(
                    sqlstate::INVALID_GRANT_OPERATION,
                    format!("invalid privilege type {other} for relation"),
                ))
            }
        };
        if columns {
            return Err(Error::unsupported("column privileges"));
        }
        out = out.union(bit);
    }
    Ok(out)
}

/// The relations named (id, "table"/"view", name), each checked to exist.
fn relations(objects: Option<&ast::GrantObjects>, ctx: &DdlContext<'_>) -> Result<Vec<(u32, &'static str, String)>> {
    let mut out = Vec::new();
    match objects {
        Some(ast::GrantObjects::Tables(names)) => {
            for name in names {
                let name = sql::object_name(name)?;
                if let Some(t) = ctx.catalog.table(&name) {
                    out.push((t.id, "table", name));
                } else if let Some(v) = ctx.catalog.view(&name) {
                    out.push((v.id, "view", name));
                } else {
                    return Err(Error::undefined_table(&name));
                }
            }
        }
        Some(ast::GrantObjects::AllTablesInSchema { schemas }) => {
            for schema in schemas {
                public_schema(schema)?;
                out.extend(
                    ctx.catalog
                        .tables()
                        .filter(|t| !ctx.catalog.is_system_table(t.id))
                        .map(|t| (t.id, "table", t.name.clone())),
                );
                out.extend(ctx.catalog.views().map(|v| (v.id, "view", v.name.clone())));
            }
        }
        Some(other) => return Err(Error::unsupported(format!("GRANT ON {other}"))),
        None => return Err(Error::unsupported("GRANT of role membership")),
    }
    Ok(out)
}

/// Role ids of the grantees (`privilege::PUBLIC` for PUBLIC); 42704 for an unknown role.
fn grantees(grantees: &[ast::Grantee], ctx: &DdlContext<'_>) -> Result<Vec<u32>> {
    let mut out = Vec::new();
    for g in grantees {
        let id = match (&g.grantee_type, &g.name) {
            (ast::GranteesType::Public, _) => privilege::PUBLIC,
            (
                ast::GranteesType::None | ast::GranteesType::Role | ast::GranteesType::User,
                Some(ast::GranteeName::ObjectName(n)),
            ) => {
                let name = sql::object_name(n)?;
                if name == "public" {
                    privilege::PUBLIC
                } else {
                    ctx.catalog
                        .role(&name)
                        .ok_or_else(|| {
                            Error::sql(sqlstate::UNDEFINED_OBJECT, format!("role \"{name}\" does not exist"))
                        })?
                        .id
                }
            }
            _ => return Err(Error::unsupported(format!("grantee {g}"))),
        };
        out.push(id);
    }
    Ok(out)
}
