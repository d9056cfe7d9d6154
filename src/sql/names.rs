//! Identifier folding as PostgreSQL does it: unquoted names fold to lower case, quoted names are
//! kept exactly. Only the `public` schema exists; `public.t` names `t`.

use crate::error::{sqlstate, Error, Result};

use super::ast::{Ident, ObjectName, ObjectNamePart};

/// The catalog name of an identifier.
pub fn ident(id: &Ident) -> String {
    if id.quote_style.is_some() {
        id.value.clone()
    } else {
        id.value.to_lowercase()
    }
}

/// The catalog name of a possibly schema-qualified relation name.
pub fn object_name(name: &ObjectName) -> Result<String> {
    let parts: Vec<&Ident> = name
        .0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(id) => Ok(id),
            ObjectNamePart::Function(_) => Err(Error::syntax(format!("invalid relation name \"{name}\""))),
        })
        .collect::<Result<_>>()?;
    match parts.as_slice() {
        [table] => Ok(ident(table)),
        [schema, table] => {
            let schema = ident(schema);
            if schema == "public" {
                Ok(ident(table))
            } else {
                Err(Error::sql(
                    sqlstate::INVALID_SCHEMA_NAME,
                    format!("schema \"{schema}\" does not exist"),
                ))
            }
        }
        _ => Err(Error::syntax(format!(
            "improper qualified name (too many dotted names): {name}"
        ))),
    }
}
