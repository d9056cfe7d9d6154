//! Backend messages: building them from engine values and encoding them with pgwire's codec into
//! an output buffer that the connection flushes at protocol boundaries.

use bytes::{BufMut, Bytes, BytesMut};
use pgwire::messages::copy::{CopyData, CopyDone, CopyInResponse, CopyOutResponse};
use pgwire::messages::data::{FieldDescription, NoData, ParameterDescription, RowDescription};
use pgwire::messages::extendedquery::{BindComplete, CloseComplete, ParseComplete, PortalSuspended};
use pgwire::messages::response::{
    CommandComplete, EmptyQueryResponse, ErrorResponse, NoticeResponse, ReadyForQuery, TransactionStatus,
};
use pgwire::messages::startup::{Authentication, BackendKeyData, NegotiateProtocolVersion, ParameterStatus, SecretKey};
use pgwire::messages::PgWireBackendMessage as B;

use crate::error::{Error, Notice, Result};
use crate::plan::OutputColumn;
use crate::session::TransactionStatus as Status;
use crate::types::{text, DataType, Row};

use super::binary;

pub const TEXT: i16 = 0;
pub const BINARY: i16 = 1;

/// Severity of an ErrorResponse: statement errors are ERROR (the session goes on); FATAL ends the
/// connection.
#[derive(Debug, Clone, Copy)]
pub enum Severity {
    Error,
    Fatal,
}

/// Encoded backend messages waiting to be written.
#[derive(Default)]
pub struct Out {
    pub buf: BytesMut,
}

/// Protocol strings are NUL-terminated: a NUL inside user text would end them early.
fn cstr(s: &str) -> String {
    if s.contains('\0') {
        s.replace('\0', "\u{fffd}")
    } else {
        s.to_string()
    }
}

impl Out {
    fn push(&mut self, message: B) {
        // Encoding fails only for messages over pgwire's length limits (e.g. a ParameterStatus
        // echoing a huge application_name). The codec may already have written the tag byte:
        // cut the buffer back so the stream stays well-formed without that message.
        let at = self.buf.len();
        if let Err(e) = message.encode(&mut self.buf) {
            self.buf.truncate(at);
            tracing::warn!("backend message not sent: {e}");
        }
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn take(&mut self) -> Bytes {
        self.buf.split().freeze()
    }

    pub fn auth_ok(&mut self) {
        self.push(B::Authentication(Authentication::Ok));
    }

    /// AuthenticationSASL: the mechanisms the client may choose from.
    pub fn auth_sasl(&mut self, mechanisms: &[&str]) {
        self.push(B::Authentication(Authentication::SASL(
            mechanisms.iter().map(|m| m.to_string()).collect(),
        )));
    }

    /// AuthenticationSASLContinue with the server's challenge.
    pub fn auth_sasl_continue(&mut self, data: String) {
        self.push(B::Authentication(Authentication::SASLContinue(Bytes::from(data))));
    }

    /// AuthenticationSASLFinal with the server's proof.
    pub fn auth_sasl_final(&mut self, data: String) {
        self.push(B::Authentication(Authentication::SASLFinal(Bytes::from(data))));
    }

    /// The client asked for a newer minor protocol version or protocol options we lack.
    pub fn negotiate_protocol(&mut self, newest_minor: i32, unsupported: Vec<String>) {
        self.push(B::NegotiateProtocolVersion(NegotiateProtocolVersion::new(
            newest_minor,
            unsupported,
        )));
    }

    pub fn parameter(&mut self, name: &str, value: &str) {
        self.push(B::ParameterStatus(ParameterStatus::new(cstr(name), cstr(value))));
    }

    pub fn backend_key(&mut self, pid: i32, secret: i32) {
        self.push(B::BackendKeyData(BackendKeyData::new(pid, SecretKey::I32(secret))));
    }

    pub fn ready(&mut self, status: Status) {
        let status = match status {
            Status::Idle => TransactionStatus::Idle,
            Status::InBlock => TransactionStatus::Transaction,
            Status::Failed => TransactionStatus::Error,
        };
        self.push(B::ReadyForQuery(ReadyForQuery::new(status)));
    }

    pub fn error(&mut self, e: &Error, severity: Severity) {
        self.push(B::ErrorResponse(ErrorResponse::new(fields(e, severity))));
    }

    pub fn notice(&mut self, notice: &Notice) {
        let severity = notice.severity.as_str();
        self.push(B::NoticeResponse(NoticeResponse::new(vec![
            (b'S', severity.into()),
            (b'V', severity.into()),
            (b'C', notice.code.into()),
            (b'M', cstr(&notice.message)),
        ])));
    }

    pub fn command_complete(&mut self, tag: &str) {
        self.push(B::CommandComplete(CommandComplete::new(cstr(tag))));
    }

    pub fn empty_query(&mut self) {
        self.push(B::EmptyQueryResponse(EmptyQueryResponse::new()));
    }

    pub fn parse_complete(&mut self) {
        self.push(B::ParseComplete(ParseComplete::new()));
    }

    pub fn bind_complete(&mut self) {
        self.push(B::BindComplete(BindComplete::new()));
    }

    pub fn close_complete(&mut self) {
        self.push(B::CloseComplete(CloseComplete::new()));
    }

    pub fn portal_suspended(&mut self) {
        self.push(B::PortalSuspended(PortalSuspended::new()));
    }

    pub fn no_data(&mut self) {
        self.push(B::NoData(NoData::new()));
    }

    pub fn parameter_description(&mut self, types: &[DataType]) {
        self.push(B::ParameterDescription(ParameterDescription::new(
            types.iter().map(DataType::oid).collect(),
        )));
    }

    /// RowDescription; `formats` are the per-column format codes (already expanded).
    pub fn row_description(&mut self, columns: &[OutputColumn], formats: &[i16]) {
        let fields = columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                FieldDescription::new(
                    cstr(&c.name),
                    0,
                    0,
                    c.data_type.oid(),
                    type_size(&c.data_type),
                    c.data_type.typmod(),
                    formats.get(i).copied().unwrap_or(TEXT),
                )
            })
            .collect();
        self.push(B::RowDescription(RowDescription::new(fields)));
    }

    /// One DataRow, each value in its column's requested format. Written in place rather than
    /// through pgwire's `DataRow`, which would take the fields as a buffer of their own and copy
    /// it: one allocation and copy per row saved (layout: 'D', i32 length including itself, i16
    /// field count, then per field an i32 length, −1 for NULL, and its bytes).
    pub fn data_row(&mut self, row: &Row, columns: &[OutputColumn], formats: &[i16]) -> Result<()> {
        let count = i16::try_from(row.len()).map_err(|_| Error::out_of_range("row"))?;
        let start = self.buf.len();
        self.buf.put_u8(b'D');
        self.buf.put_i32(0);
        self.buf.put_i16(count);
        let written = encode_fields(&mut self.buf, row, columns, formats)
            .and_then(|()| i32::try_from(self.buf.len() - start - 1).map_err(|_| Error::out_of_range("row")));
        match written {
            Ok(len) => {
                self.buf[start + 1..start + 5].copy_from_slice(&len.to_be_bytes());
                Ok(())
            }
            Err(e) => {
                self.buf.truncate(start);
                Err(e)
            }
        }
    }

    pub fn copy_in_response(&mut self, columns: usize) {
        let n = i16::try_from(columns).unwrap_or(i16::MAX);
        self.push(B::CopyInResponse(CopyInResponse::new(0, n, vec![TEXT; columns])));
    }

    pub fn copy_out_response(&mut self, columns: usize) {
        let n = i16::try_from(columns).unwrap_or(i16::MAX);
        self.push(B::CopyOutResponse(CopyOutResponse::new(0, n, vec![TEXT; columns])));
    }

    pub fn copy_data(&mut self, data: Vec<u8>) {
        self.push(B::CopyData(CopyData::new(Bytes::from(data))));
    }

    pub fn copy_done(&mut self) {
        self.push(B::CopyDone(CopyDone::new()));
    }
}

/// The fields of one DataRow, appended to `data`.
fn encode_fields(data: &mut BytesMut, row: &Row, columns: &[OutputColumn], formats: &[i16]) -> Result<()> {
    for (i, value) in row.iter().enumerate() {
        if value.is_null() {
            data.put_i32(-1);
            continue;
        }
        let at = data.len();
        data.put_i32(0);
        if formats.get(i).copied() == Some(BINARY) {
            let ty = columns.get(i).map(|c| &c.data_type).unwrap_or(&DataType::Unknown);
            binary::encode(value, ty, data)?;
        } else {
            data.put_slice(text::format(value).unwrap_or_default().as_bytes());
        }
        let len = i32::try_from(data.len() - at - 4).map_err(|_| Error::out_of_range("field"))?;
        data[at..at + 4].copy_from_slice(&len.to_be_bytes());
    }
    Ok(())
}

/// ErrorResponse/NoticeResponse fields: severity (localized and not), SQLSTATE, message,
/// detail, hint.
fn fields(e: &Error, severity: Severity) -> Vec<(u8, String)> {
    let severity = match severity {
        Severity::Error => "ERROR",
        Severity::Fatal => "FATAL",
    };
    let mut fields = vec![
        (b'S', severity.to_string()),
        (b'V', severity.to_string()),
        (b'C', e.sqlstate().to_string()),
        (b'M', cstr(&e.message())),
    ];
    if let Some(d) = e.detail() {
        fields.push((b'D', cstr(d)));
    }
    if let Some(h) = e.hint() {
        fields.push((b'H', cstr(h)));
    }
    fields
}

/// `pg_type.typlen` of a type (−1 variable length), shown in RowDescription.
fn type_size(ty: &DataType) -> i16 {
    match ty {
        DataType::Bool => 1,
        DataType::Int2 => 2,
        DataType::Int4 | DataType::Float4 | DataType::Date => 4,
        DataType::Int8 | DataType::Float8 | DataType::Time | DataType::Timestamp | DataType::TimestampTz => 8,
        DataType::Interval | DataType::Uuid => 16,
        DataType::Unknown => -2,
        _ => -1,
    }
}

/// Expands Bind's result format codes (none: all text; one: for all; else one per column).
pub fn result_formats(codes: &[i16], columns: usize) -> Result<Vec<i16>> {
    let formats = match codes {
        [] => vec![TEXT; columns],
        [one] => vec![*one; columns],
        many if many.len() == columns => many.to_vec(),
        many => {
            return Err(Error::sql(
                crate::error::sqlstate::PROTOCOL_VIOLATION,
                format!(
                    "bind message has {} result formats but query has {columns} columns",
                    many.len()
                ),
            ))
        }
    };
    if let Some(bad) = formats.iter().find(|f| **f != TEXT && **f != BINARY) {
        return Err(Error::sql(
            crate::error::sqlstate::PROTOCOL_VIOLATION,
            format!("unsupported format code: {bad}"),
        ));
    }
    Ok(formats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_oversized_message_leaves_no_partial_bytes() {
        let mut out = Out::default();
        out.parameter("application_name", &"x".repeat(40_000));
        assert_eq!(out.len(), 0);
        out.command_complete("SELECT 1");
        // 'C', length 13 (4 + "SELECT 1\0"), then the tag.
        assert_eq!(&out.take()[..], b"C\0\0\0\x0dSELECT 1\0");
    }

    #[test]
    fn data_rows_follow_the_protocol_layout() {
        use crate::types::Value;
        let column = |ty: DataType| OutputColumn {
            name: "c".into(),
            data_type: ty,
            source: None,
        };
        let columns = [column(DataType::Int4), column(DataType::Text), column(DataType::Text)];
        let mut out = Out::default();
        out.data_row(
            &vec![Value::Int4(7), Value::Null, Value::Text("ab".into())],
            &columns,
            &[BINARY, TEXT, TEXT],
        )
        .unwrap();
        // 'D', length 24 (itself, the count, then 8 + 4 + 6 bytes of fields), 3 fields: int4 7 in
        // binary, NULL as length -1, "ab" as text.
        let expected: &[u8] = b"D\0\0\0\x18\0\x03\0\0\0\x04\0\0\0\x07\xff\xff\xff\xff\0\0\0\x02ab";
        assert_eq!(&out.take()[..], expected);
    }

    #[test]
    fn result_formats_expand_and_validate() {
        assert_eq!(result_formats(&[], 2).unwrap(), vec![TEXT, TEXT]);
        assert_eq!(result_formats(&[BINARY], 3).unwrap(), vec![BINARY; 3]);
        assert_eq!(result_formats(&[TEXT, BINARY], 2).unwrap(), vec![TEXT, BINARY]);
        assert_eq!(result_formats(&[TEXT, BINARY], 3).unwrap_err().sqlstate(), "08P01");
        assert_eq!(result_formats(&[7], 1).unwrap_err().sqlstate(), "08P01");
    }
}
