//! Who a session acts as: the role it authenticated as, its session user (`SET SESSION
//! AUTHORIZATION`) and its current role (`SET ROLE`), kept by role id so a rename shows at
//! once. Every privilege check uses the current role, as PostgreSQL's `current_user`.

use crate::catalog::{Catalog, RoleDef};
use crate::error::{sqlstate, Error, Result};

/// A session's roles, by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    /// The role that logged in: whether it is a superuser decides SET SESSION AUTHORIZATION.
    pub authenticated: u32,
    pub session_user: u32,
    /// Set by `SET ROLE`; `None` means the session user.
    pub role: Option<u32>,
}

impl Default for Identity {
    fn default() -> Identity {
        Identity::of(RoleDef::bootstrap().id)
    }
}

impl Identity {
    /// A session logged in as role `id`.
    pub fn of(id: u32) -> Identity {
        Identity {
            authenticated: id,
            session_user: id,
            role: None,
        }
    }

    /// `current_user`.
    pub fn current(&self) -> u32 {
        self.role.unwrap_or(self.session_user)
    }

    /// `SET ROLE name` (`None`: `SET ROLE NONE` / `RESET ROLE`). Without role membership, a
    /// role may only become itself unless its session user is a superuser.
    pub fn set_role(&mut self, catalog: &Catalog, name: Option<&str>) -> Result<()> {
        let Some(name) = name else {
            self.role = None;
            return Ok(());
        };
        let role = catalog.role(name).ok_or_else(|| undefined(name))?;
        if role.id != self.session_user && !catalog.is_superuser(self.session_user) {
            return Err(Error::sql(
                sqlstate::INSUFFICIENT_PRIVILEGE,
                format!("permission denied to set role \"{name}\""),
            ));
        }
        self.role = Some(role.id);
        Ok(())
    }

    /// `SET SESSION AUTHORIZATION name` (`None`: DEFAULT): only a superuser that logged in may
    /// become someone else. Resets the current role, as PostgreSQL does.
    pub fn set_session_authorization(&mut self, catalog: &Catalog, name: Option<&str>) -> Result<()> {
        let target = match name {
            None => self.authenticated,
            Some(name) => catalog.role(name).ok_or_else(|| undefined(name))?.id,
        };
        if target != self.authenticated && !catalog.is_superuser(self.authenticated) {
            return Err(Error::sql(
                sqlstate::INSUFFICIENT_PRIVILEGE,
                "permission denied to set session authorization",
            ));
        }
        self.session_user = target;
        self.role = None;
        Ok(())
    }
}

fn undefined(name: &str) -> Error {
    Error::sql(sqlstate::UNDEFINED_OBJECT, format!("role \"{name}\" does not exist"))
}
