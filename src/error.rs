//! The umbrella error type and the one place SQLSTATE codes are decided.
//!
//! Three kinds are kept apart, as a database must: the user's mistake (`Sql`: bad SQL, a violated
//! constraint, a bad cast — always with a PostgreSQL SQLSTATE), corruption found on disk
//! (`Corrupted`), and our own bug (`Bug`, "please report"). Nothing a client sends may produce
//! `Bug`; if it does, that is the bug.

use std::fmt;

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// SQLSTATE codes Vellum raises, named as PostgreSQL's `errcodes.txt` names them.
pub mod sqlstate {
    pub const SUCCESSFUL_COMPLETION: &str = "00000";
    pub const WARNING: &str = "01000";
    pub const PRIVILEGE_NOT_REVOKED: &str = "01006";
    pub const PRIVILEGE_NOT_GRANTED: &str = "01007";
    pub const PROTOCOL_VIOLATION: &str = "08P01";
    pub const FEATURE_NOT_SUPPORTED: &str = "0A000";
    pub const CARDINALITY_VIOLATION: &str = "21000";
    pub const STRING_DATA_RIGHT_TRUNCATION: &str = "22001";
    pub const NUMERIC_VALUE_OUT_OF_RANGE: &str = "22003";
    pub const INVALID_DATETIME_FORMAT: &str = "22007";
    pub const DATETIME_FIELD_OVERFLOW: &str = "22008";
    pub const DIVISION_BY_ZERO: &str = "22012";
    pub const INVALID_ESCAPE_SEQUENCE: &str = "22025";
    pub const INVALID_PARAMETER_VALUE: &str = "22023";
    pub const INVALID_REGULAR_EXPRESSION: &str = "2201B";
    pub const INVALID_ROW_COUNT_IN_LIMIT: &str = "2201W";
    pub const INVALID_ROW_COUNT_IN_OFFSET: &str = "2201X";
    pub const INVALID_TEXT_REPRESENTATION: &str = "22P02";
    pub const INVALID_BINARY_REPRESENTATION: &str = "22P03";
    pub const CHARACTER_NOT_IN_REPERTOIRE: &str = "22021";
    pub const INVALID_JSON_TEXT: &str = "22P02";
    pub const DATA_EXCEPTION: &str = "22000";
    pub const NOT_NULL_VIOLATION: &str = "23502";
    pub const FOREIGN_KEY_VIOLATION: &str = "23503";
    pub const UNIQUE_VIOLATION: &str = "23505";
    pub const CHECK_VIOLATION: &str = "23514";
    pub const ACTIVE_SQL_TRANSACTION: &str = "25001";
    pub const NO_ACTIVE_SQL_TRANSACTION: &str = "25P01";
    pub const IN_FAILED_SQL_TRANSACTION: &str = "25P02";
    pub const READ_ONLY_SQL_TRANSACTION: &str = "25006";
    pub const INVALID_SQL_STATEMENT_NAME: &str = "26000";
    pub const INVALID_AUTHORIZATION_SPECIFICATION: &str = "28000";
    pub const INVALID_PASSWORD: &str = "28P01";
    pub const DEPENDENT_OBJECTS_STILL_EXIST: &str = "2BP01";
    pub const INVALID_CATALOG_NAME: &str = "3D000";
    pub const INVALID_SCHEMA_NAME: &str = "3F000";
    pub const SERIALIZATION_FAILURE: &str = "40001";
    pub const SYNTAX_ERROR: &str = "42601";
    pub const INSUFFICIENT_PRIVILEGE: &str = "42501";
    pub const RESERVED_NAME: &str = "42939";
    pub const INVALID_GRANT_OPERATION: &str = "0LP01";
    pub const UNDEFINED_COLUMN: &str = "42703";
    pub const UNDEFINED_FUNCTION: &str = "42883";
    pub const UNDEFINED_TABLE: &str = "42P01";
    pub const UNDEFINED_PARAMETER: &str = "42P02";
    pub const UNDEFINED_OBJECT: &str = "42704";
    pub const DUPLICATE_COLUMN: &str = "42701";
    pub const DUPLICATE_TABLE: &str = "42P07";
    pub const DUPLICATE_OBJECT: &str = "42710";
    pub const DUPLICATE_ALIAS: &str = "42712";
    pub const AMBIGUOUS_COLUMN: &str = "42702";
    pub const AMBIGUOUS_FUNCTION: &str = "42725";
    pub const GROUPING_ERROR: &str = "42803";
    pub const DATATYPE_MISMATCH: &str = "42804";
    pub const WRONG_OBJECT_TYPE: &str = "42809";
    pub const INVALID_COLUMN_REFERENCE: &str = "42P10";
    pub const INVALID_TABLE_DEFINITION: &str = "42P16";
    pub const INVALID_OBJECT_DEFINITION: &str = "42P17";
    pub const UNDEFINED_CURSOR: &str = "34000";
    pub const INVALID_RECURSION: &str = "42P19";
    pub const WINDOWING_ERROR: &str = "42P20";
    pub const PROGRAM_LIMIT_EXCEEDED: &str = "54000";
    pub const TOO_MANY_COLUMNS: &str = "54011";
    pub const OBJECT_NOT_IN_PREREQUISITE_STATE: &str = "55000";
    pub const OBJECT_IN_USE: &str = "55006";
    pub const CANT_CHANGE_RUNTIME_PARAM: &str = "55P02";
    pub const QUERY_CANCELED: &str = "57014";
    pub const ADMIN_SHUTDOWN: &str = "57P01";
    pub const IO_ERROR: &str = "58030";
    pub const DATA_CORRUPTED: &str = "XX001";
    pub const INTERNAL_ERROR: &str = "XX000";
}

/// Every error Vellum reports.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The client's mistake or a rule the data must obey: carries a PostgreSQL SQLSTATE.
    Sql {
        code: &'static str,
        message: String,
        detail: Option<String>,
        hint: Option<String>,
    },
    /// Stored bytes that do not decode or do not match what must be there.
    Corrupted { at: String, reason: String },
    /// The operating system failed us (disk full, permission denied, ...).
    Io(String),
    /// An invariant of Vellum's own code broke: never the client's fault.
    Bug(String),
}

impl Error {
    /// A user-facing error with the given SQLSTATE.
    pub fn sql(code: &'static str, message: impl Into<String>) -> Error {
        Error::Sql {
            code,
            message: message.into(),
            detail: None,
            hint: None,
        }
    }

    /// Adds a DETAIL line (PostgreSQL's `errdetail`).
    pub fn with_detail(mut self, text: impl Into<String>) -> Error {
        if let Error::Sql { detail, .. } = &mut self {
            *detail = Some(text.into());
        }
        self
    }

    /// Adds a HINT line (PostgreSQL's `errhint`).
    pub fn with_hint(mut self, text: impl Into<String>) -> Error {
        if let Error::Sql { hint, .. } = &mut self {
            *hint = Some(text.into());
        }
        self
    }

    pub fn syntax(message: impl Into<String>) -> Error {
        Error::sql(sqlstate::SYNTAX_ERROR, message)
    }

    pub fn unsupported(what: impl fmt::Display) -> Error {
        Error::sql(sqlstate::FEATURE_NOT_SUPPORTED, format!("{what} is not supported"))
    }

    pub fn undefined_table(name: &str) -> Error {
        Error::sql(sqlstate::UNDEFINED_TABLE, format!("relation \"{name}\" does not exist"))
    }

    pub fn undefined_column(name: &str) -> Error {
        Error::sql(sqlstate::UNDEFINED_COLUMN, format!("column \"{name}\" does not exist"))
    }

    pub fn division_by_zero() -> Error {
        Error::sql(sqlstate::DIVISION_BY_ZERO, "division by zero")
    }

    pub fn out_of_range(type_name: &str) -> Error {
        Error::sql(
            sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
            format!("{type_name} out of range"),
        )
    }

    pub fn invalid_text(type_name: &str, input: &str) -> Error {
        Error::sql(
            sqlstate::INVALID_TEXT_REPRESENTATION,
            format!("invalid input syntax for type {type_name}: \"{input}\""),
        )
    }

    pub fn datatype_mismatch(message: impl Into<String>) -> Error {
        Error::sql(sqlstate::DATATYPE_MISMATCH, message)
    }

    pub fn corrupted(at: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::Corrupted {
            at: at.into(),
            reason: reason.into(),
        }
    }

    pub fn bug(message: impl Into<String>) -> Error {
        Error::Bug(message.into())
    }

    /// The SQLSTATE a client sees for this error: the single place it is decided.
    pub fn sqlstate(&self) -> &'static str {
        match self {
            Error::Sql { code, .. } => code,
            Error::Corrupted { .. } => sqlstate::DATA_CORRUPTED,
            Error::Io(_) => sqlstate::IO_ERROR,
            Error::Bug(_) => sqlstate::INTERNAL_ERROR,
        }
    }

    /// The primary message, without SQLSTATE or detail.
    pub fn message(&self) -> String {
        match self {
            Error::Sql { message, .. } => message.clone(),
            Error::Corrupted { at, reason } => format!("data corrupted at {at}: {reason}"),
            Error::Io(m) => format!("could not access storage: {m}"),
            Error::Bug(m) => format!("internal error (please report this as a Vellum bug): {m}"),
        }
    }

    pub fn detail(&self) -> Option<&str> {
        match self {
            Error::Sql { detail, .. } => detail.as_deref(),
            _ => None,
        }
    }

    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::Sql { hint, .. } => hint.as_deref(),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for Error {}

/// How loudly a [`Notice`] speaks (PostgreSQL's NOTICE and WARNING levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeSeverity {
    Notice,
    Warning,
}

impl NoticeSeverity {
    /// The level's name as PostgreSQL sends it.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeSeverity::Notice => "NOTICE",
            NoticeSeverity::Warning => "WARNING",
        }
    }
}

/// A message for the client that is not an error ("relation already exists, skipping"), with
/// the severity and SQLSTATE PostgreSQL gives it, so drivers that act on codes see the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub severity: NoticeSeverity,
    pub code: &'static str,
    pub message: String,
}

impl Notice {
    /// A NOTICE with SQLSTATE `code`.
    pub fn with_code(code: &'static str, message: impl Into<String>) -> Notice {
        Notice {
            severity: NoticeSeverity::Notice,
            code,
            message: message.into(),
        }
    }

    /// A WARNING with SQLSTATE `code`.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Notice {
        Notice {
            severity: NoticeSeverity::Warning,
            code,
            message: message.into(),
        }
    }
}

/// Plain text is a NOTICE with SQLSTATE 00000, PostgreSQL's most common kind.
impl From<String> for Notice {
    fn from(message: String) -> Notice {
        Notice::with_code(sqlstate::SUCCESSFUL_COMPLETION, message)
    }
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:  {}", self.severity.as_str(), self.message)
    }
}

/// Notices raised while a statement runs, in order.
#[derive(Debug, Default)]
pub struct Notices(Vec<Notice>);

impl Notices {
    pub fn push(&mut self, notice: impl Into<Notice>) {
        self.0.push(notice.into());
    }

    /// Hands the notices over, leaving none.
    pub fn take(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.0)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::Io(e.to_string())
    }
}
