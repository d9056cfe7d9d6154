//! `CREATE BLOCKCHAIN TABLE ... WITH (option = value, ...)`: each option's value domain, its
//! default, and the checks between options. Errors are 22023 invalid_parameter_value (as
//! PostgreSQL's reloptions) and name the option.
//!
//! | option | values | default |
//! |---|---|---|
//! | `block_size` | integer 1..=100000 rows per block | 1000 |
//! | `block_seal_interval` | interval ≥ 0 (`'5 minutes'`, `'30 seconds'`); `'0'`: seal only by size or on request | `'5 minutes'` |
//! | `hash_algorithm` | `SHA256` | `SHA256` |
//! | `enable_merkle_tree` | boolean | true |
//! | `purge_policy` | `none`, `TIME_BASED` (needs retention_period), `COUNT_BASED` (needs retention_blocks), `SIZE_BASED` (needs max_total_size), `COMPLIANCE_BASED` (needs compliance_rules), `CUSTOM` (needs purge_function), `manual`; the older `time`, `blocks`, `size`, `function` read as the first four (`purge.rs`) | `none` |
//! | `retention_period` | interval > 0 | — |
//! | `retention_blocks` | integer 1..=9223372036854775807 | — |
//! | `max_total_size` | bytes: integer, or number with unit `bytes`, `kB`, `MB`, `GB`, `TB` (1024-based, as `pg_size_bytes`), > 0 | — |
//! | `compliance_rules` | a JSON object of periods (`"hipaa_retention": "6 years"`) and `"gdpr_right_to_erasure": true/false`; or, as before, a comma-separated subset of `gdpr`, `hipaa`, `sox`, `pci_dss`, `sec_17a_4` (names without periods) | none |
//! | `purge_function` | a boolean SQL expression over `blockchain_metadata`'s columns, e.g. `timestamp < now() - interval '90 days' AND row_count < 10` | — |
//! | `required_signatures` | integer 0..=64, at most the number of authorized_signers | 0 |
//! | `authorized_signers` | comma-separated Ed25519 public keys (64 hex digits each), at most 64, distinct | none |
//! | `compression` | `none`, `zstd` (sealed bodies zstd-compressed at rest) | `none` |
//! | `encryption` | `TDE` (= true), `none` (= false), or a boolean: bodies and pending rows AES-256-GCM encrypted at rest (`ledger::at_rest`) | false |
//! | `tde_algorithm` | `AES256-GCM` (also spelled `AES256GCM`), only with encryption on | `AES256GCM` when encryption is on |
//!
//! Booleans read as PostgreSQL reads them (`true/false/on/off/yes/no/1/0`); a boolean option
//! given without a value means true, as in PostgreSQL. Option names are case-insensitive
//! identifiers; enumerated values are case-insensitive.

use std::collections::HashSet;

use crate::catalog::BlockchainOptions;
use crate::error::{sqlstate, Error, Result};
use crate::types::Interval;

use super::hex::hash_from_hex;

/// Every option name, for messages and completion.
pub const OPTION_NAMES: [&str; 15] = [
    "block_size",
    "block_seal_interval",
    "hash_algorithm",
    "enable_merkle_tree",
    "purge_policy",
    "retention_period",
    "retention_blocks",
    "max_total_size",
    "compliance_rules",
    "purge_function",
    "required_signatures",
    "authorized_signers",
    "compression",
    "encryption",
    "tde_algorithm",
];

const COMPLIANCE_RULES: [&str; 5] = ["gdpr", "hipaa", "sox", "pci_dss", "sec_17a_4"];

fn invalid(message: String) -> Error {
    Error::sql(sqlstate::INVALID_PARAMETER_VALUE, message)
}

/// Resolves `(name, value)` pairs (value `None`: the bare name) into options.
pub fn parse_options(pairs: &[(String, Option<String>)]) -> Result<BlockchainOptions> {
    let mut o = BlockchainOptions::default();
    let mut seen = HashSet::new();
    let mut tde_given = false;
    for (name, value) in pairs {
        let name = name.to_ascii_lowercase();
        if !OPTION_NAMES.contains(&name.as_str()) {
            return Err(invalid(format!("unrecognized parameter \"{name}\"")));
        }
        if !seen.insert(name.clone()) {
            return Err(invalid(format!("parameter \"{name}\" specified more than once")));
        }
        let is_bool = matches!(name.as_str(), "enable_merkle_tree" | "encryption");
        let value = match value {
            Some(v) => v.trim().to_string(),
            None if is_bool => "true".to_string(),
            None => return Err(invalid(format!("option \"{name}\" requires a value"))),
        };
        match name.as_str() {
            "block_size" => {
                let n = integer(&name, &value)?;
                o.block_size = u32::try_from(n)
                    .ok()
                    .filter(|n| (1..=100_000).contains(n))
                    .ok_or_else(|| invalid("block_size must be between 1 and 100000".into()))?;
            }
            "block_seal_interval" => {
                let iv = interval(&name, &value)?;
                if iv.comparable_micros() < 0 {
                    return Err(invalid("block_seal_interval must not be negative".into()));
                }
                o.block_seal_interval = iv;
            }
            "hash_algorithm" => {
                if !value.eq_ignore_ascii_case("sha256") {
                    return Err(invalid(format!(
                        "hash_algorithm \"{value}\" is not supported: the only value is SHA256"
                    )));
                }
                o.hash_algorithm = "SHA256".into();
            }
            "enable_merkle_tree" => o.enable_merkle_tree = boolean(&name, &value)?,
            "purge_policy" => {
                let lower = one_of(
                    &name,
                    &value,
                    &[
                        "none",
                        "time_based",
                        "count_based",
                        "size_based",
                        "compliance_based",
                        "custom",
                        "manual",
                        "time",
                        "blocks",
                        "size",
                        "function",
                    ],
                )?;
                // The issue's names are stored upper-case; the older short names as they were,
                // so the definitions (and genesis hashes) of existing tables do not change.
                o.purge_policy = if lower.contains('_') || lower == "custom" {
                    lower.to_ascii_uppercase()
                } else {
                    lower
                };
            }
            "retention_period" => {
                let iv = interval(&name, &value)?;
                if iv.comparable_micros() <= 0 {
                    return Err(invalid("retention_period must be greater than zero".into()));
                }
                o.retention_period = Some(iv);
            }
            "retention_blocks" => {
                let n = integer(&name, &value)?;
                if n < 1 {
                    return Err(invalid(
                        "retention_blocks must be between 1 and 9223372036854775807".into(),
                    ));
                }
                o.retention_blocks = Some(n as u64);
            }
            "max_total_size" => o.max_total_size = Some(size(&value)?),
            "compliance_rules" if value.trim_start().starts_with('{') => {
                o.compliance_rules = compliance_json(&value)?;
            }
            "compliance_rules" => {
                let mut rules = Vec::new();
                for rule in value.split(',').map(|r| r.trim().to_ascii_lowercase()) {
                    if !COMPLIANCE_RULES.contains(&rule.as_str()) {
                        return Err(invalid(format!(
                            "compliance_rules: unknown rule \"{rule}\" (known: {})",
                            COMPLIANCE_RULES.join(", ")
                        )));
                    }
                    rules.push(rule);
                }
                rules.sort();
                rules.dedup();
                o.compliance_rules = rules;
            }
            // A boolean SQL expression over blockchain_metadata's columns (checked by CREATE,
            // which can bind it); older definitions named a function, which still reads as
            // an expression's text.
            "purge_function" => {
                if value.is_empty() {
                    return Err(invalid("purge_function must not be empty".into()));
                }
                o.purge_function = Some(value.clone());
            }
            "required_signatures" => {
                let n = integer(&name, &value)?;
                o.required_signatures = u32::try_from(n)
                    .ok()
                    .filter(|n| *n <= 64)
                    .ok_or_else(|| invalid("required_signatures must be between 0 and 64".into()))?;
            }
            "authorized_signers" => {
                let mut keys: Vec<[u8; 32]> = Vec::new();
                for key in value.split(',').map(str::trim).filter(|k| !k.is_empty()) {
                    let parsed = hash_from_hex(key).ok_or_else(|| {
                        invalid(format!(
                            "authorized_signers: \"{key}\" is not an Ed25519 public key (64 hex digits)"
                        ))
                    })?;
                    if keys.contains(&parsed) {
                        return Err(invalid(format!("authorized_signers: key {key} is listed twice")));
                    }
                    keys.push(parsed);
                }
                if keys.len() > 64 {
                    return Err(invalid("authorized_signers: at most 64 keys".into()));
                }
                o.authorized_signers = keys;
            }
            "compression" => o.compression = one_of(&name, &value, &["none", "zstd"])?,
            "encryption" => {
                o.encryption = match value.to_ascii_lowercase().as_str() {
                    "tde" => true,
                    "none" => false,
                    _ => boolean(&name, &value).map_err(|_| {
                        invalid(format!(
                            "invalid value for option \"encryption\": {value} (allowed: TDE, none, or a boolean)"
                        ))
                    })?,
                }
            }
            "tde_algorithm" => {
                let normalized: String = value.chars().filter(|c| *c != '-' && *c != '_').collect();
                if !normalized.eq_ignore_ascii_case("aes256gcm") {
                    return Err(invalid(format!(
                        "tde_algorithm \"{value}\" is not supported: the only value is AES256-GCM"
                    )));
                }
                o.tde_algorithm = Some("AES256GCM".into());
                tde_given = true;
            }
            _ => return Err(Error::bug(format!("option {name} listed but not handled"))),
        }
    }
    cross_check(&mut o, tde_given)?;
    Ok(o)
}

fn cross_check(o: &mut BlockchainOptions, tde_given: bool) -> Result<()> {
    let needs = |option: &str| invalid(format!("purge_policy '{}' requires {option}", o.purge_policy));
    match super::purge::canonical(&o.purge_policy) {
        "TIME_BASED" if o.retention_period.is_none() => return Err(needs("retention_period")),
        "COUNT_BASED" if o.retention_blocks.is_none() => return Err(needs("retention_blocks")),
        "SIZE_BASED" if o.max_total_size.is_none() => return Err(needs("max_total_size")),
        "CUSTOM" if o.purge_function.is_none() => return Err(needs("purge_function")),
        "COMPLIANCE_BASED" => {
            let rules = super::purge::ComplianceRules::from_stored(&o.compliance_rules)?;
            if rules.retention.is_none() && !rules.erasure {
                return Err(needs(
                    "compliance_rules naming a retention period or gdpr_right_to_erasure",
                ));
            }
        }
        _ => {}
    }
    if o.required_signatures as usize > o.authorized_signers.len() {
        return Err(invalid(format!(
            "required_signatures ({}) exceeds the number of authorized_signers ({})",
            o.required_signatures,
            o.authorized_signers.len()
        )));
    }
    if tde_given && !o.encryption {
        return Err(invalid("tde_algorithm requires encryption = true".into()));
    }
    if o.encryption && o.tde_algorithm.is_none() {
        o.tde_algorithm = Some("AES256GCM".into());
    }
    Ok(())
}

fn integer(name: &str, value: &str) -> Result<i64> {
    value
        .parse::<i64>()
        .map_err(|_| invalid(format!("invalid value for integer option \"{name}\": {value}")))
}

/// PostgreSQL's boolean spellings (`parse_bool`): unique prefixes of true/false/yes/no, on/off, 1/0.
fn boolean(name: &str, value: &str) -> Result<bool> {
    let v = value.to_ascii_lowercase();
    let prefix_of = |word: &str, min: usize| v.len() >= min && word.starts_with(&v);
    if prefix_of("true", 1) || prefix_of("yes", 1) || v == "on" || v == "1" {
        Ok(true)
    } else if prefix_of("false", 1) || prefix_of("no", 1) || prefix_of("off", 2) || v == "0" {
        Ok(false)
    } else {
        Err(invalid(format!("invalid value for boolean option \"{name}\": {value}")))
    }
}

fn interval(name: &str, value: &str) -> Result<Interval> {
    Interval::parse(value).map_err(|_| invalid(format!("invalid value for interval option \"{name}\": {value}")))
}

fn one_of(name: &str, value: &str, allowed: &[&str]) -> Result<String> {
    let v = value.to_ascii_lowercase();
    if allowed.contains(&v.as_str()) {
        Ok(v)
    } else {
        Err(invalid(format!(
            "invalid value for option \"{name}\": {value} (allowed: {})",
            allowed.join(", ")
        )))
    }
}

/// `pg_size_bytes`-style sizes: `1048576`, `512 MB`, `10GB`, `1.5 TB`.
fn size(value: &str) -> Result<u64> {
    let bad = || invalid(format!("invalid value for option \"max_total_size\": {value}"));
    let split = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse().map_err(|_| bad())?;
    let multiplier: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" | "bytes" => 1.0,
        "kb" => 1024.0,
        "mb" => 1024.0 * 1024.0,
        "gb" => 1024.0 * 1024.0 * 1024.0,
        "tb" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(bad()),
    };
    let bytes = (number * multiplier).round();
    if !(1.0..9.2e18).contains(&bytes) {
        return Err(invalid("max_total_size must be greater than zero".into()));
    }
    Ok(bytes as u64)
}

/// `compliance_rules = '{"hipaa_retention": "6 years", "gdpr_right_to_erasure": true}'`:
/// stored as sorted `name=value` texts (`purge.rs` reads them back). Members are periods
/// (strings that read as intervals) or `gdpr_right_to_erasure` (a boolean).
fn compliance_json(value: &str) -> Result<Vec<String>> {
    let parsed: serde_json::Value =
        serde_json::from_str(value).map_err(|e| invalid(format!("compliance_rules is not a JSON object: {e}")))?;
    let Some(members) = parsed.as_object() else {
        return Err(invalid("compliance_rules must be a JSON object".into()));
    };
    let mut rules = Vec::new();
    for (name, v) in members {
        let name = name.to_ascii_lowercase();
        if name.contains('=') {
            return Err(invalid(format!("compliance_rules: bad rule name \"{name}\"")));
        }
        match (name.as_str(), v) {
            ("gdpr_right_to_erasure", serde_json::Value::Bool(b)) => rules.push(format!("{name}={b}")),
            ("gdpr_right_to_erasure", _) => {
                return Err(invalid(
                    "compliance_rules: gdpr_right_to_erasure must be true or false".into(),
                ))
            }
            (_, serde_json::Value::String(period)) => {
                let iv = interval(&format!("compliance_rules.{name}"), period)?;
                if iv.comparable_micros() <= 0 {
                    return Err(invalid(format!(
                        "compliance_rules: \"{name}\" must be a positive period"
                    )));
                }
                rules.push(format!("{name}={}", period.trim()));
            }
            _ => {
                return Err(invalid(format!(
                    "compliance_rules: \"{name}\" must be a period such as \"7 years\""
                )))
            }
        }
    }
    rules.sort();
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: &[(&str, &str)]) -> Result<BlockchainOptions> {
        let pairs: Vec<(String, Option<String>)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Some(v.to_string())))
            .collect();
        parse_options(&pairs)
    }

    fn message(pairs: &[(&str, &str)]) -> String {
        let err = opts(pairs).unwrap_err();
        assert_eq!(err.sqlstate(), "22023");
        err.message()
    }

    #[test]
    fn defaults() {
        let o = opts(&[]).unwrap();
        assert_eq!(o.block_size, 1000);
        assert_eq!(o.block_seal_interval, Interval::new(0, 0, 300_000_000));
        assert_eq!(o.hash_algorithm, "SHA256");
        assert!(o.enable_merkle_tree);
        assert_eq!(o.purge_policy, "none");
    }

    #[test]
    fn values_are_read() {
        let key = "ab".repeat(32);
        let o = opts(&[
            ("BLOCK_SIZE", "100000"),
            ("block_seal_interval", "30 seconds"),
            ("hash_algorithm", "sha256"),
            ("enable_merkle_tree", "off"),
            ("purge_policy", "Time"),
            ("retention_period", "7 days"),
            ("max_total_size", "10GB"),
            ("compliance_rules", "sox, gdpr,sox"),
            ("authorized_signers", &key),
            ("required_signatures", "1"),
            ("encryption", "yes"),
        ])
        .unwrap();
        assert_eq!(o.block_size, 100_000);
        assert_eq!(o.block_seal_interval, Interval::new(0, 0, 30_000_000));
        assert!(!o.enable_merkle_tree);
        assert_eq!(o.purge_policy, "time");
        assert_eq!(o.retention_period, Some(Interval::new(0, 7, 0)));
        assert_eq!(o.max_total_size, Some(10 * 1024 * 1024 * 1024));
        assert_eq!(o.compliance_rules, ["gdpr", "sox"]);
        assert_eq!(o.authorized_signers, vec![[0xab; 32]]);
        assert_eq!(o.tde_algorithm.as_deref(), Some("AES256GCM"));
        assert_eq!(
            opts(&[("block_seal_interval", "0")]).unwrap().block_seal_interval,
            Interval::default()
        );
        let bare = parse_options(&[("encryption".into(), None)]).unwrap();
        assert!(bare.encryption);
    }

    #[test]
    fn errors_name_the_option() {
        assert_eq!(
            message(&[("block_size", "0")]),
            "block_size must be between 1 and 100000"
        );
        assert_eq!(
            message(&[("block_size", "100001")]),
            "block_size must be between 1 and 100000"
        );
        assert_eq!(
            message(&[("block_size", "ten")]),
            "invalid value for integer option \"block_size\": ten"
        );
        assert_eq!(
            message(&[("fillfactor", "10")]),
            "unrecognized parameter \"fillfactor\""
        );
        assert_eq!(
            message(&[("block_size", "5"), ("block_size", "6")]),
            "parameter \"block_size\" specified more than once"
        );
        assert!(message(&[("hash_algorithm", "MD5")]).contains("hash_algorithm"));
        assert!(message(&[("block_seal_interval", "soon")]).contains("block_seal_interval"));
        assert!(message(&[("block_seal_interval", "-1 minute")]).contains("block_seal_interval"));
        assert!(message(&[("enable_merkle_tree", "maybe")]).contains("enable_merkle_tree"));
        assert!(message(&[("purge_policy", "time")]).contains("retention_period"));
        assert!(message(&[("compliance_rules", "gdpr,iso")]).contains("compliance_rules"));
        assert!(message(&[("authorized_signers", "abc")]).contains("authorized_signers"));
        assert!(message(&[("required_signatures", "2")]).contains("required_signatures"));
        assert!(message(&[("tde_algorithm", "AES256GCM")]).contains("encryption"));
        assert!(message(&[("max_total_size", "10 parsecs")]).contains("max_total_size"));
        assert!(message(&[("purge_function", " ")]).contains("purge_function"));
        assert!(message(&[("compression", "lzma")]).contains("compression"));
        assert!(message(&[("retention_blocks", "0")]).contains("retention_blocks"));
        assert!(message(&[("encryption", "AES")]).contains("encryption"));
        assert!(message(&[("tde_algorithm", "AES128-GCM"), ("encryption", "TDE")]).contains("AES256-GCM"));
    }

    #[test]
    fn the_issue_spellings_resolve_to_the_canonical_values() {
        let o = opts(&[
            ("compression", "ZSTD"),
            ("encryption", "TDE"),
            ("tde_algorithm", "AES256-GCM"),
        ])
        .unwrap();
        // The same values the older spellings give, so definition hashes do not depend on them.
        let older = opts(&[
            ("compression", "zstd"),
            ("encryption", "true"),
            ("tde_algorithm", "AES256GCM"),
        ])
        .unwrap();
        assert_eq!(o, older);
        assert_eq!(o.compression, "zstd");
        assert!(o.encryption);
        assert_eq!(o.tde_algorithm.as_deref(), Some("AES256GCM"));
        let off = opts(&[("encryption", "none"), ("compression", "NONE")]).unwrap();
        assert_eq!(off, opts(&[]).unwrap());
        assert!(message(&[("encryption", "none"), ("tde_algorithm", "AES256-GCM")]).contains("encryption"));
    }
}
