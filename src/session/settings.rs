//! Session settings (`SET`, `SHOW`, `RESET`): the parameters drivers and psql read and write.
//!
//! Unknown names are rejected as PostgreSQL does (42704), except custom `prefix.name` ones.
//! Only values Vellum actually honours are validated; the rest are stored and echoed so that
//! drivers that set them (application_name, extra_float_digits, ...) work unchanged.

use std::collections::BTreeMap;

use crate::error::{sqlstate, Error, Result};
use crate::plan::binder::SettingsView;

/// Name, default value, description.
const KNOWN: &[(&str, &str, &str)] = &[
    (
        "application_name",
        "",
        "Sets the application name to be reported in statistics and logs.",
    ),
    ("client_encoding", "UTF8", "Sets the client's character set encoding."),
    (
        "client_min_messages",
        "notice",
        "Sets the message levels that are sent to the client.",
    ),
    (
        "datestyle",
        "ISO, MDY",
        "Sets the display format for date and time values.",
    ),
    (
        "default_transaction_isolation",
        "read committed",
        "Sets the transaction isolation level of each new transaction.",
    ),
    (
        "default_transaction_read_only",
        "off",
        "Sets the default read-only status of new transactions.",
    ),
    (
        "extra_float_digits",
        "1",
        "Sets the number of digits displayed for floating-point values.",
    ),
    (
        "idle_in_transaction_session_timeout",
        "0",
        "Sets the maximum allowed idle time between queries, when in a transaction.",
    ),
    ("integer_datetimes", "on", "Shows whether datetimes are integer based."),
    (
        "intervalstyle",
        "postgres",
        "Sets the display format for interval values.",
    ),
    ("is_superuser", "on", "Shows whether the current user is a superuser."),
    (
        "lock_timeout",
        "0",
        "Sets the maximum allowed duration of any wait for a lock.",
    ),
    ("max_identifier_length", "63", "Shows the maximum identifier length."),
    (
        "search_path",
        "\"$user\", public",
        "Sets the schema search order for names that are not schema-qualified.",
    ),
    (
        "server_encoding",
        "UTF8",
        "Shows the server (database) character set encoding.",
    ),
    ("server_version", "15.0", "Shows the server version."),
    (
        "server_version_num",
        "150000",
        "Shows the server version as an integer.",
    ),
    (
        "standard_conforming_strings",
        "on",
        "Causes '...' strings to treat backslashes literally.",
    ),
    (
        "statement_timeout",
        "0",
        "Sets the maximum allowed duration of any statement.",
    ),
    (
        "synchronous_commit",
        "on",
        "Sets the current transaction's synchronization level.",
    ),
    (
        "timezone",
        "UTC",
        "Sets the time zone for displaying and interpreting time stamps.",
    ),
    (
        "transaction_isolation",
        "read committed",
        "Sets the current transaction's isolation level.",
    ),
    (
        "transaction_read_only",
        "off",
        "Sets the current transaction's read-only status.",
    ),
];

/// Parameters that report but cannot be changed.
const READ_ONLY: &[&str] = &[
    "integer_datetimes",
    "is_superuser",
    "max_identifier_length",
    "server_encoding",
    "server_version",
    "server_version_num",
];

/// One session's parameter values. Equal settings report equal values for every parameter,
/// which lets the server skip re-reading them after a statement that changed none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    overrides: BTreeMap<String, String>,
    /// Who the session acts as: kept here because every plan that reads `current_user`
    /// already depends on the settings it was bound with.
    pub(crate) identity: super::identity::Identity,
}

impl Settings {
    /// The current value of `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Result<String> {
        let name = canonical(name);
        if let Some(v) = self.overrides.get(&name) {
            return Ok(v.clone());
        }
        match KNOWN.iter().find(|(n, _, _)| *n == name) {
            Some((_, default, _)) => Ok((*default).to_string()),
            None => Err(unrecognized(&name)),
        }
    }

    /// Sets `name` to `value` after validating what Vellum honours.
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        let name = canonical(name);
        if READ_ONLY.contains(&name.as_str()) {
            return Err(Error::sql(
                sqlstate::CANT_CHANGE_RUNTIME_PARAM,
                format!("parameter \"{name}\" cannot be changed"),
            ));
        }
        let known = KNOWN.iter().any(|(n, _, _)| *n == name);
        if !known && !name.contains('.') {
            return Err(unrecognized(&name));
        }
        let value = match name.as_str() {
            "timezone" => validate_time_zone(value)?,
            "synchronous_commit" => match value.to_lowercase().as_str() {
                "on" | "true" | "yes" | "1" | "local" | "remote_write" | "remote_apply" => "on".to_string(),
                "off" | "false" | "no" | "0" => "off".to_string(),
                _ => return Err(invalid_value(&name, value)),
            },
            "client_encoding" => match value.to_uppercase().replace(['-', '_'], "").as_str() {
                "UTF8" | "UNICODE" => "UTF8".to_string(),
                _ => {
                    return Err(Error::sql(
                        sqlstate::FEATURE_NOT_SUPPORTED,
                        format!("conversion between {value} and UTF8 is not supported"),
                    ))
                }
            },
            "datestyle" => {
                if !value.to_uppercase().contains("ISO") {
                    return Err(Error::unsupported(format!("DateStyle \"{value}\"")));
                }
                "ISO, MDY".to_string()
            }
            "intervalstyle" if !value.eq_ignore_ascii_case("postgres") => {
                return Err(Error::unsupported(format!("IntervalStyle \"{value}\"")))
            }
            "transaction_isolation" | "default_transaction_isolation" => {
                let v = value.to_lowercase();
                match v.as_str() {
                    "read committed" | "read uncommitted" | "repeatable read" | "serializable" => v,
                    _ => return Err(invalid_value(&name, value)),
                }
            }
            _ => value.to_string(),
        };
        self.overrides.insert(name, value);
        Ok(())
    }

    /// `RESET name`.
    pub fn reset(&mut self, name: &str) -> Result<()> {
        let name = canonical(name);
        if !KNOWN.iter().any(|(n, _, _)| *n == name) && !name.contains('.') {
            return Err(unrecognized(&name));
        }
        self.overrides.remove(&name);
        Ok(())
    }

    /// `RESET ALL`.
    pub fn reset_all(&mut self) {
        self.overrides.clear();
    }

    /// Every parameter as (name, value, description), for `SHOW ALL`.
    pub fn all(&self) -> Vec<(String, String, String)> {
        KNOWN
            .iter()
            .map(|(n, d, desc)| {
                let v = self.overrides.get(*n).cloned().unwrap_or_else(|| (*d).to_string());
                (n.to_string(), v, desc.to_string())
            })
            .collect()
    }

    /// Whether COMMIT waits for the disk.
    pub fn synchronous_commit(&self) -> bool {
        self.get("synchronous_commit").map(|v| v == "on").unwrap_or(true)
    }
}

impl SettingsView for Settings {
    fn value(&self, name: &str) -> Result<String> {
        self.get(name)
    }

    fn all(&self) -> Vec<(String, String, String)> {
        Settings::all(self)
    }

    fn user(&self) -> (u32, u32) {
        (self.identity.current(), self.identity.session_user)
    }
}

fn canonical(name: &str) -> String {
    match name.to_lowercase().as_str() {
        "time zone" | "time_zone" => "timezone".to_string(),
        other => other.to_string(),
    }
}

fn validate_time_zone(value: &str) -> Result<String> {
    let v = value.trim();
    match v.to_uppercase().as_str() {
        "UTC" | "GMT" | "ETC/UTC" | "ETC/GMT" | "Z" | "ZULU" | "UCT" | "UNIVERSAL" | "0" | "+0" | "-0" | "+00"
        | "+00:00" | "LOCAL" | "DEFAULT" => Ok("UTC".to_string()),
        _ => Err(Error::unsupported(format!(
            "time zone \"{v}\" (Vellum sessions run in UTC)"
        ))),
    }
}

fn unrecognized(name: &str) -> Error {
    Error::sql(
        sqlstate::UNDEFINED_OBJECT,
        format!("unrecognized configuration parameter \"{name}\""),
    )
}

fn invalid_value(name: &str, value: &str) -> Error {
    Error::sql(
        sqlstate::INVALID_PARAMETER_VALUE,
        format!("invalid value for parameter \"{name}\": \"{value}\""),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_set_reset_and_errors() {
        let mut s = Settings::default();
        assert_eq!(s.get("DateStyle").unwrap(), "ISO, MDY");
        s.set("application_name", "psql").unwrap();
        assert_eq!(s.get("APPLICATION_NAME").unwrap(), "psql");
        s.set("synchronous_commit", "off").unwrap();
        assert!(!s.synchronous_commit());
        s.reset("synchronous_commit").unwrap();
        assert!(s.synchronous_commit());
        assert_eq!(s.get("nope").unwrap_err().sqlstate(), "42704");
        assert_eq!(s.set("server_version", "1").unwrap_err().sqlstate(), "55P02");
        assert_eq!(s.set("synchronous_commit", "maybe").unwrap_err().sqlstate(), "22023");
        s.set("myapp.flag", "x").unwrap();
        assert_eq!(s.get("myapp.flag").unwrap(), "x");
        assert_eq!(s.set("TimeZone", "Europe/Paris").unwrap_err().sqlstate(), "0A000");
        s.set("time zone", "utc").unwrap();
        assert_eq!(s.get("timezone").unwrap(), "UTC");
    }
}
