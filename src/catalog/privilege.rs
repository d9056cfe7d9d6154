//! Table privileges: who owns a relation, what was granted to whom, and the one check every
//! statement goes through.
//!
//! Privileges are kept as PostgreSQL keeps them: per relation an owner and an access control
//! list (`aclitem[]`) whose items say "grantee has these privileges, granted by grantor". A
//! relation nobody has granted anything on has no list (`relacl` is NULL) and behaves as if
//! its owner held every privilege. The letters of the text form are PostgreSQL's
//! (`a` INSERT, `r` SELECT, `w` UPDATE, `d` DELETE, `D` TRUNCATE, `x` REFERENCES, `t` TRIGGER),
//! in that order; grantee 0 is PUBLIC, written as an empty name (`=r/vellum`).
//!
//! Superusers pass every check; an owner holds all privileges on its relations. Ownership and
//! lists are stored as `ObjectAcl` records of their own (`keys::acl_key`), so table records
//! keep their shape.

use serde::{Deserialize, Serialize};

use crate::error::{sqlstate, Error, Result};

use super::{Catalog, RoleDef};

/// The grantee that stands for every role.
pub const PUBLIC: u32 = 0;

/// A set of table privileges as PostgreSQL's `ACL_*` bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Privileges(pub u16);

impl Privileges {
    pub const INSERT: Privileges = Privileges(1 << 0);
    pub const SELECT: Privileges = Privileges(1 << 1);
    pub const UPDATE: Privileges = Privileges(1 << 2);
    pub const DELETE: Privileges = Privileges(1 << 3);
    pub const TRUNCATE: Privileges = Privileges(1 << 4);
    pub const REFERENCES: Privileges = Privileges(1 << 5);
    pub const TRIGGER: Privileges = Privileges(1 << 6);
    /// Every privilege a table can have (`GRANT ALL`).
    pub const ALL: Privileges = Privileges(0x7f);
    /// A privilege asked for `WITH GRANT OPTION`: only owners and superusers hold grant
    /// options in Vellum, and they pass every check before the list is looked at.
    const GRANT_OPTION: Privileges = Privileges(1 << 15);

    /// Letters and SQL names, in PostgreSQL's text order.
    const NAMES: [(char, &'static str); 7] = [
        ('a', "INSERT"),
        ('r', "SELECT"),
        ('w', "UPDATE"),
        ('d', "DELETE"),
        ('D', "TRUNCATE"),
        ('x', "REFERENCES"),
        ('t', "TRIGGER"),
    ];

    pub fn contains(self, other: Privileges) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn union(self, other: Privileges) -> Privileges {
        Privileges(self.0 | other.0)
    }

    pub fn minus(self, other: Privileges) -> Privileges {
        Privileges(self.0 & !other.0)
    }

    /// The privilege named `name` (`SELECT`, `insert`, ...), as `has_table_privilege` takes it.
    pub fn by_name(name: &str) -> Option<Privileges> {
        let name = name.trim();
        Self::NAMES
            .iter()
            .enumerate()
            .find(|(_, (_, n))| n.eq_ignore_ascii_case(name))
            .map(|(bit, _)| Privileges(1 << bit))
    }

    /// A comma-separated list as `has_table_privilege` accepts it (`'SELECT, INSERT'`): any
    /// one of them is enough there; 22023 for an unknown name.
    pub fn parse_list(text: &str) -> Result<Privileges> {
        let mut out = Privileges::default();
        for part in text.split(',') {
            let word = part.trim();
            let upper = word.to_ascii_uppercase();
            if let Some(name) = upper.strip_suffix(" WITH GRANT OPTION") {
                if Privileges::by_name(name).is_some() {
                    out = out.union(Privileges::GRANT_OPTION);
                    continue;
                }
            }
            out = out.union(Privileges::by_name(word).ok_or_else(|| {
                Error::sql(
                    sqlstate::INVALID_PARAMETER_VALUE,
                    format!("unrecognized privilege type: \"{}\"", part.trim()),
                )
            })?);
        }
        Ok(out)
    }

    /// The letters of the set (`arwd`).
    pub fn letters(self) -> String {
        Self::NAMES
            .iter()
            .enumerate()
            .filter(|(bit, _)| self.0 & (1 << bit) != 0)
            .map(|(_, (c, _))| *c)
            .collect()
    }

    /// The SQL names of the set, one per privilege, in text order.
    pub fn names(self) -> Vec<&'static str> {
        Self::NAMES
            .iter()
            .enumerate()
            .filter(|(bit, _)| self.0 & (1 << bit) != 0)
            .map(|(_, (_, n))| *n)
            .collect()
    }
}

/// One entry of an access control list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AclItem {
    /// A role id, or `PUBLIC`.
    pub grantee: u32,
    pub grantor: u32,
    pub privileges: Privileges,
}

/// Who owns a relation and what was granted on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectAcl {
    pub object_id: u32,
    pub owner: u32,
    /// `None` until the first GRANT or REVOKE: the owner's default of every privilege.
    pub acl: Option<Vec<AclItem>>,
}

impl ObjectAcl {
    /// The list in force: the stored one, or the owner's default.
    pub fn effective(&self) -> Vec<AclItem> {
        match &self.acl {
            Some(items) => items.clone(),
            None => vec![AclItem {
                grantee: self.owner,
                grantor: self.owner,
                privileges: Privileges::ALL,
            }],
        }
    }

    /// Adds `privileges` for `grantee` (GRANT): merged into its item, or appended.
    pub fn grant(&mut self, grantee: u32, privileges: Privileges) {
        let mut items = self.effective();
        match items
            .iter_mut()
            .find(|i| i.grantee == grantee && i.grantor == self.owner)
        {
            Some(item) => item.privileges = item.privileges.union(privileges),
            None => items.push(AclItem {
                grantee,
                grantor: self.owner,
                privileges,
            }),
        }
        self.acl = Some(items);
    }

    /// Removes `privileges` from `grantee` (REVOKE); an item left empty disappears.
    pub fn revoke(&mut self, grantee: u32, privileges: Privileges) {
        let mut items = self.effective();
        for item in items.iter_mut().filter(|i| i.grantee == grantee) {
            item.privileges = item.privileges.minus(privileges);
        }
        items.retain(|i| !i.privileges.is_empty());
        self.acl = Some(items);
    }
}

impl Catalog {
    /// A role by id (the bootstrap superuser answers until it is stored).
    pub fn role_by_id(&self, id: u32) -> Option<std::sync::Arc<RoleDef>> {
        match self.stored_role(id) {
            Some(r) => Some(r.clone()),
            None if id == RoleDef::bootstrap().id => Some(std::sync::Arc::new(RoleDef::bootstrap())),
            None => None,
        }
    }

    /// A role's name for display: PostgreSQL prints an unknown owner as its oid.
    pub fn role_name(&self, id: u32) -> String {
        self.role_by_id(id)
            .map(|r| r.name.clone())
            .unwrap_or_else(|| id.to_string())
    }

    /// Ownership and grants of relation `object_id` (the bootstrap superuser owns relations
    /// created before roles existed).
    pub fn object_acl(&self, object_id: u32) -> ObjectAcl {
        match self.acls.get(&object_id) {
            Some(a) => (**a).clone(),
            None => ObjectAcl {
                object_id,
                owner: RoleDef::bootstrap().id,
                acl: None,
            },
        }
    }

    /// The stored ownership record of relation `object_id`, if any.
    pub fn acl_record(&self, object_id: u32) -> Option<&std::sync::Arc<ObjectAcl>> {
        self.acls.get(&object_id)
    }

    pub fn owner_of(&self, object_id: u32) -> u32 {
        self.acls
            .get(&object_id)
            .map(|a| a.owner)
            .unwrap_or(RoleDef::bootstrap().id)
    }

    /// Every stored ownership record.
    pub fn object_acls(&self) -> impl Iterator<Item = &std::sync::Arc<ObjectAcl>> {
        self.acls.values()
    }

    /// Whether `role` is a superuser (checked for every statement: no allocation).
    pub fn is_superuser(&self, role: u32) -> bool {
        match self.stored_role(role) {
            Some(r) => r.superuser,
            None => role == RoleDef::bootstrap().id,
        }
    }

    /// Whether `role` holds every privilege of `wanted` on relation `object_id`.
    pub fn has_privilege(&self, role: u32, object_id: u32, wanted: Privileges) -> bool {
        if self.is_superuser(role) {
            return true;
        }
        let (owner, items) = match self.acls.get(&object_id) {
            Some(a) => (a.owner, a.acl.as_deref()),
            None => (RoleDef::bootstrap().id, None),
        };
        if owner == role {
            return true;
        }
        // Without a list only the owner holds anything.
        let Some(items) = items else { return false };
        let held = items
            .iter()
            .filter(|i| i.grantee == role || i.grantee == PUBLIC)
            .fold(Privileges::default(), |p, i| p.union(i.privileges));
        held.contains(wanted)
    }

    /// `relacl` as text items (`bob=arwd/vellum`), `None` while the default applies.
    pub fn acl_text(&self, object_id: u32) -> Option<Vec<String>> {
        let acl = self.acls.get(&object_id)?;
        let items = acl.acl.as_ref()?;
        Some(
            items
                .iter()
                .map(|i| {
                    let grantee = if i.grantee == PUBLIC {
                        String::new()
                    } else {
                        acl_name(&self.role_name(i.grantee))
                    };
                    format!(
                        "{grantee}={}/{}",
                        i.privileges.letters(),
                        acl_name(&self.role_name(i.grantor))
                    )
                })
                .collect(),
        )
    }

    /// Checks that `user` may do everything in `accesses`: 42501 `permission denied for
    /// table t` (or view) at the first that it may not.
    pub fn check_accesses(&self, user: u32, accesses: &[Access]) -> Result<()> {
        for a in accesses {
            let role = a.checked_as.unwrap_or(user);
            if !self.has_privilege(role, a.relation, a.privileges) {
                let kind = if a.is_view { "view" } else { "table" };
                return Err(Error::sql(
                    sqlstate::INSUFFICIENT_PRIVILEGE,
                    format!("permission denied for {kind} {}", a.name),
                ));
            }
        }
        Ok(())
    }
}

/// A role name inside aclitem text: quoted when it holds anything but letters, digits and `_`
/// (PostgreSQL's `putid`).
fn acl_name(name: &str) -> String {
    if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// One privilege a statement needs on one relation, found while binding.
#[derive(Debug, Clone, PartialEq)]
pub struct Access {
    pub relation: u32,
    pub name: String,
    pub is_view: bool,
    pub privileges: Privileges,
    /// The role whose privileges count: a view's owner for the relations its query reads;
    /// `None` for the statement's user.
    pub checked_as: Option<u32>,
}

/// 42501 `must be owner of table t` unless `user` owns relation `object_id` or is a superuser.
/// 42501 `must be superuser to <what>` unless `user` is a superuser.
pub fn require_superuser(catalog: &Catalog, user: u32, what: &str) -> Result<()> {
    if catalog.is_superuser(user) {
        return Ok(());
    }
    Err(Error::sql(
        sqlstate::INSUFFICIENT_PRIVILEGE,
        format!("must be superuser to {what}"),
    ))
}

pub fn require_owner(catalog: &Catalog, user: u32, object_id: u32, kind: &str, name: &str) -> Result<()> {
    catalog.refuse_system_table(object_id, name)?;
    if catalog.is_superuser(user) || catalog.owner_of(object_id) == user {
        return Ok(());
    }
    Err(Error::sql(
        sqlstate::INSUFFICIENT_PRIVILEGE,
        format!("must be owner of {kind} {name}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::CatalogRecord;

    fn role(id: u32, name: &str, superuser: bool) -> CatalogRecord {
        CatalogRecord::Role(RoleDef {
            id,
            name: name.into(),
            superuser,
            login: true,
            create_role: false,
            create_db: false,
            password: None,
        })
    }

    fn catalog() -> Catalog {
        let mut c = Catalog::default();
        c.put(role(20, "bob", false));
        c.put(role(21, "Bob X", false));
        c.put(role(22, "u-1", false));
        c.put(role(23, "root2", true));
        c
    }

    #[test]
    fn acl_text_is_postgres_aclitem_output() {
        let mut c = catalog();
        // Defaults: no list until the first GRANT, the owner holding everything.
        assert_eq!(c.acl_text(7), None);
        let mut acl = c.object_acl(7);
        assert_eq!(acl.owner, 10);
        // As PostgreSQL 15 printed `GRANT SELECT, INSERT ... TO vr_bob; GRANT ALL ... TO PUBLIC`.
        acl.grant(20, Privileges::SELECT.union(Privileges::INSERT));
        acl.grant(PUBLIC, Privileges::ALL);
        c.put(CatalogRecord::Acl(acl.clone()));
        assert_eq!(
            c.acl_text(7).unwrap(),
            vec!["vellum=arwdDxt/vellum", "bob=ar/vellum", "=arwdDxt/vellum"]
        );
        // Names that need quoting, as PostgreSQL's putid quotes them.
        acl.grant(21, Privileges::SELECT);
        acl.grant(21, Privileges::UPDATE);
        acl.grant(22, Privileges::INSERT.union(Privileges::TRUNCATE));
        acl.revoke(PUBLIC, Privileges::ALL);
        acl.revoke(20, Privileges::ALL);
        c.put(CatalogRecord::Acl(acl));
        assert_eq!(
            c.acl_text(7).unwrap(),
            vec!["vellum=arwdDxt/vellum", "\"Bob X\"=rw/vellum", "\"u-1\"=aD/vellum"]
        );
    }

    #[test]
    fn checks_follow_owner_superuser_public_and_grants() {
        let mut c = catalog();
        let mut acl = ObjectAcl {
            object_id: 7,
            owner: 20,
            acl: None,
        };
        c.put(CatalogRecord::Acl(acl.clone()));
        assert!(c.has_privilege(20, 7, Privileges::ALL), "owner");
        assert!(c.has_privilege(23, 7, Privileges::DELETE), "superuser");
        assert!(!c.has_privilege(22, 7, Privileges::SELECT));
        acl.grant(PUBLIC, Privileges::SELECT);
        acl.grant(22, Privileges::INSERT);
        c.put(CatalogRecord::Acl(acl));
        assert!(c.has_privilege(22, 7, Privileges::SELECT.union(Privileges::INSERT)));
        assert!(c.has_privilege(21, 7, Privileges::SELECT), "through PUBLIC");
        assert!(!c.has_privilege(21, 7, Privileges::INSERT));
        let denied = c
            .check_accesses(
                21,
                &[Access {
                    relation: 7,
                    name: "v".into(),
                    is_view: true,
                    privileges: Privileges::UPDATE,
                    checked_as: None,
                }],
            )
            .unwrap_err();
        assert_eq!(denied.sqlstate(), "42501");
        assert_eq!(denied.message(), "permission denied for view v");
        // A view's base tables are checked as the view's owner, not the caller.
        let as_owner = Access {
            relation: 7,
            name: "t".into(),
            is_view: false,
            privileges: Privileges::DELETE,
            checked_as: Some(20),
        };
        assert!(c.check_accesses(21, &[as_owner]).is_ok());
    }

    #[test]
    fn privilege_lists_as_has_table_privilege_reads_them() {
        assert_eq!(
            Privileges::parse_list("select, Insert").unwrap(),
            Privileges::SELECT.union(Privileges::INSERT)
        );
        let err = Privileges::parse_list("SELECT, frob").unwrap_err();
        assert_eq!(err.sqlstate(), "22023");
        assert_eq!(err.message(), "unrecognized privilege type: \"frob\"");
        // PostgreSQL 15: a role granted SELECT without grant option has no `SELECT WITH GRANT
        // OPTION`.
        let mut c = catalog();
        let mut acl = c.object_acl(7);
        acl.grant(22, Privileges::SELECT);
        c.put(CatalogRecord::Acl(acl));
        let wanted = Privileges::parse_list("SELECT WITH GRANT OPTION").unwrap();
        assert!(!c.has_privilege(22, 7, wanted));
        assert!(c.has_privilege(10, 7, wanted));
        assert_eq!(Privileges::ALL.letters(), "arwdDxt");
    }
}
