//! CREATE/ALTER/DROP ROLE (and USER), with PostgreSQL 15's permission rules: superusers may do
//! anything; roles with CREATEROLE may create, alter, rename and drop roles that are not
//! superusers; anyone may change their own password. Passwords are kept only as SCRAM-SHA-256
//! verifiers.

use crate::catalog::{CatalogRecord, RoleDef, BOOTSTRAP_SUPERUSER};
use crate::crypto::scram::Verifier;
use crate::error::{sqlstate, Error, Notice, Result};
use crate::sql::{self, ast, ident};
use crate::storage::keys;

use super::DdlContext;

/// The attributes a CREATE or ALTER ROLE statement sets (`None`: left as is / default).
#[derive(Default)]
struct Options {
    login: Option<bool>,
    superuser: Option<bool>,
    create_role: Option<bool>,
    create_db: Option<bool>,
    /// `Some(None)`: PASSWORD NULL.
    password: Option<Option<String>>,
}

pub(super) fn create(create: &ast::CreateRole, ctx: &mut DdlContext<'_>) -> Result<String> {
    if !create.in_role.is_empty()
        || !create.in_group.is_empty()
        || !create.role.is_empty()
        || !create.user.is_empty()
        || !create.admin.is_empty()
    {
        return Err(Error::unsupported("role membership"));
    }
    if create.valid_until.is_some() || create.connection_limit.is_some() {
        return Err(Error::unsupported("VALID UNTIL and CONNECTION LIMIT"));
    }
    // Without role membership, row security or replication these would only be labels.
    if create.inherit == Some(false) || create.bypassrls == Some(true) || create.replication == Some(true) {
        return Err(Error::unsupported("NOINHERIT, BYPASSRLS and REPLICATION"));
    }
    if create.authorization_owner.is_some() {
        return Err(Error::unsupported("CREATE ROLE ... AUTHORIZATION"));
    }
    let options = Options {
        login: create.login,
        superuser: create.superuser,
        create_role: create.create_role,
        create_db: create.create_db,
        password: create.password.as_ref().map(password).transpose()?,
    };
    let me = ctx.catalog.role_by_id(ctx.user);
    let (is_super, may_create) = me.map_or((false, false), |r| (r.superuser, r.superuser || r.create_role));
    if options.superuser == Some(true) && !is_super {
        return Err(denied("must be superuser to create superusers"));
    }
    if !may_create {
        return Err(denied("permission denied to create role"));
    }
    for name in &create.names {
        let name = sql::object_name(name)?;
        check_reserved(&name)?;
        if ctx.catalog.role(&name).is_some() {
            if create.if_not_exists {
                ctx.notices.push(Notice::with_code(
                    sqlstate::DUPLICATE_OBJECT,
                    format!("role \"{name}\" already exists, skipping"),
                ));
                continue;
            }
            return Err(Error::sql(
                sqlstate::DUPLICATE_OBJECT,
                format!("role \"{name}\" already exists"),
            ));
        }
        // Ids come from the relations' counter, which may hand out the bootstrap role's 10.
        let mut id = ctx.new_object_id()?;
        while id == RoleDef::bootstrap().id {
            id = ctx.new_object_id()?;
        }
        let role = RoleDef {
            id,
            name,
            superuser: options.superuser.unwrap_or(false),
            login: options.login.unwrap_or(false),
            create_role: options.create_role.unwrap_or(false),
            create_db: options.create_db.unwrap_or(false),
            password: options.password.clone().flatten(),
        };
        ctx.persist(CatalogRecord::Role(role), false)?;
    }
    Ok("CREATE ROLE".into())
}

pub(super) fn alter(
    name: &ast::Ident,
    operation: &ast::AlterRoleOperation,
    ctx: &mut DdlContext<'_>,
) -> Result<String> {
    let name = ident(name);
    let role = ctx
        .catalog
        .role(&name)
        .ok_or_else(|| Error::sql(sqlstate::UNDEFINED_OBJECT, format!("role \"{name}\" does not exist")))?;
    let me = ctx.catalog.role_by_id(ctx.user);
    let (is_super, may_create) = me.map_or((false, false), |r| (r.superuser, r.superuser || r.create_role));
    let mut changed = (*role).clone();
    match operation {
        ast::AlterRoleOperation::RenameRole { role_name } => {
            let new_name = ident(role_name);
            if role.id == ctx.user {
                return Err(Error::sql(
                    sqlstate::FEATURE_NOT_SUPPORTED,
                    "current user cannot be renamed",
                ));
            }
            if role.id == ctx.session_user {
                return Err(Error::sql(
                    sqlstate::FEATURE_NOT_SUPPORTED,
                    "session user cannot be renamed",
                ));
            }
            if role.superuser && !is_super {
                return Err(denied("must be superuser to rename superusers"));
            }
            if !may_create {
                return Err(denied("permission denied to rename role"));
            }
            if ctx.catalog.role(&new_name).is_some() {
                return Err(Error::sql(
                    sqlstate::DUPLICATE_OBJECT,
                    format!("role \"{new_name}\" already exists"),
                ));
            }
            check_reserved(&new_name)?;
            changed.name = new_name;
            ctx.catalog.remove_role(&name);
            ctx.txn.delete(keys::role_key(&name))?;
        }
        ast::AlterRoleOperation::WithOptions { options } => {
            let options = role_options(options)?;
            let only_own_password = role.id == ctx.user
                && options.login.is_none()
                && options.superuser.is_none()
                && options.create_role.is_none()
                && options.create_db.is_none();
            if (role.superuser || options.superuser.is_some()) && !is_super {
                return Err(denied(
                    "must be superuser to alter superuser roles or change superuser attribute",
                ));
            }
            if !may_create && !only_own_password {
                return Err(denied("permission denied"));
            }
            if role.name == BOOTSTRAP_SUPERUSER && options.superuser == Some(false) {
                // PostgreSQL 15 allows it and so locks everyone out of superuser powers; 16
                // refuses it, as Vellum does.
                return Err(denied("permission denied to alter role")
                    .with_detail("The bootstrap user must have the SUPERUSER attribute."));
            }
            changed.login = options.login.unwrap_or(changed.login);
            changed.superuser = options.superuser.unwrap_or(changed.superuser);
            changed.create_role = options.create_role.unwrap_or(changed.create_role);
            changed.create_db = options.create_db.unwrap_or(changed.create_db);
            if let Some(p) = options.password {
                changed.password = p;
            }
        }
        _ => return Err(Error::unsupported(format!("ALTER ROLE ... {operation}"))),
    }
    ctx.persist(CatalogRecord::Role(changed), true)?;
    Ok("ALTER ROLE".into())
}

pub(super) fn drop(if_exists: bool, names: &[ast::ObjectName], ctx: &mut DdlContext<'_>) -> Result<String> {
    let me = ctx.catalog.role_by_id(ctx.user);
    let (is_super, may_create) = me.map_or((false, false), |r| (r.superuser, r.superuser || r.create_role));
    if !may_create {
        return Err(denied("permission denied to drop role"));
    }
    for name in names {
        let name = sql::object_name(name)?;
        let Some(role) = ctx.catalog.role(&name) else {
            if if_exists {
                ctx.notices.push(format!("role \"{name}\" does not exist, skipping"));
                continue;
            }
            return Err(Error::sql(
                sqlstate::UNDEFINED_OBJECT,
                format!("role \"{name}\" does not exist"),
            ));
        };
        if role.id == ctx.user {
            return Err(Error::sql(sqlstate::OBJECT_IN_USE, "current user cannot be dropped"));
        }
        if role.id == ctx.session_user {
            return Err(Error::sql(sqlstate::OBJECT_IN_USE, "session user cannot be dropped"));
        }
        if role.name == BOOTSTRAP_SUPERUSER {
            return Err(Error::sql(
                sqlstate::DEPENDENT_OBJECTS_STILL_EXIST,
                format!("cannot drop role {name} because it is required by the database system"),
            ));
        }
        if role.superuser && !is_super {
            return Err(denied("must be superuser to drop superusers"));
        }
        let dependents = dependents(ctx, role.id);
        if !dependents.is_empty() {
            return Err(Error::sql(
                sqlstate::DEPENDENT_OBJECTS_STILL_EXIST,
                format!("role \"{name}\" cannot be dropped because some objects depend on it"),
            )
            .with_detail(dependents.join("\n")));
        }
        ctx.catalog.remove_role(&name);
        ctx.txn.delete(keys::role_key(&name))?;
    }
    Ok("DROP ROLE".into())
}

/// What keeps a role from being dropped, as PostgreSQL's DETAIL lists it.
fn dependents(ctx: &DdlContext<'_>, role: u32) -> Vec<String> {
    let mut out = Vec::new();
    for acl in ctx.catalog.object_acls() {
        let Some((kind, name)) = relation(ctx, acl.object_id) else {
            continue;
        };
        if acl.owner == role {
            out.push(format!("owner of {kind} {name}"));
        } else if acl.effective().iter().any(|i| i.grantee == role || i.grantor == role) {
            out.push(format!("privileges for {kind} {name}"));
        }
    }
    out
}

fn relation(ctx: &DdlContext<'_>, id: u32) -> Option<(&'static str, String)> {
    if let Some(t) = ctx.catalog.table_by_id(id) {
        return Some(("table", t.name.clone()));
    }
    ctx.catalog
        .views()
        .find(|v| v.id == id)
        .map(|v| ("view", v.name.clone()))
}

fn role_options(options: &[ast::RoleOption]) -> Result<Options> {
    let mut out = Options::default();
    for option in options {
        match option {
            ast::RoleOption::Login(b) => out.login = Some(*b),
            ast::RoleOption::SuperUser(b) => out.superuser = Some(*b),
            ast::RoleOption::CreateRole(b) => out.create_role = Some(*b),
            ast::RoleOption::CreateDB(b) => out.create_db = Some(*b),
            ast::RoleOption::Password(p) => out.password = Some(password(p)?),
            // Vellum has no inheritance-free roles, replication or row security to switch.
            ast::RoleOption::Inherit(true)
            | ast::RoleOption::BypassRLS(false)
            | ast::RoleOption::Replication(false) => {}
            other => return Err(Error::unsupported(format!("role option {other}"))),
        }
    }
    Ok(out)
}

/// The verifier to store for `PASSWORD '...'`: the text itself when it already is a SCRAM
/// verifier (as pg_dump writes it), else a new verifier of the password.
fn password(p: &ast::Password) -> Result<Option<String>> {
    match p {
        ast::Password::NullPassword => Ok(None),
        ast::Password::Password(ast::Expr::Value(v)) => match &v.value {
            ast::Value::SingleQuotedString(s) => Ok(Some(match Verifier::parse(s) {
                Some(verifier) => verifier.to_string(),
                None => Verifier::from_password(s).to_string(),
            })),
            ast::Value::Null => Ok(None),
            other => Err(Error::syntax(format!("syntax error at or near \"{other}\""))),
        },
        ast::Password::Password(other) => Err(Error::syntax(format!("syntax error at or near \"{other}\""))),
    }
}

/// 42939 for names PostgreSQL keeps for itself.
fn check_reserved(name: &str) -> Result<()> {
    if name.starts_with("pg_") {
        return Err(
            Error::sql(sqlstate::RESERVED_NAME, format!("role name \"{name}\" is reserved"))
                .with_detail("Role names starting with \"pg_\" are reserved."),
        );
    }
    if matches!(
        name,
        "public" | "none" | "current_user" | "session_user" | "current_role"
    ) {
        return Err(Error::sql(
            sqlstate::RESERVED_NAME,
            format!("role name \"{name}\" is reserved"),
        ));
    }
    Ok(())
}

fn denied(message: &str) -> Error {
    Error::sql(sqlstate::INSUFFICIENT_PRIVILEGE, message)
}
