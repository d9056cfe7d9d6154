//! Reading client messages off the socket.
//!
//! Framing and decoding are Vellum's own rather than pgwire's decoder: every field is read
//! through a bounds-checked cursor confined to one message, so a truncated or lying message is a
//! protocol error for that connection, never a panic and never a read into the next message.
//! Sizes are capped before anything is allocated.

use std::pin::Pin;

use bytes::{Buf, Bytes};
use tokio::io::{AsyncBufRead, AsyncRead, AsyncReadExt, BufReader};

/// Largest message accepted after startup (PostgreSQL allows 1 GiB; a Vellum value larger than
/// this is not useful over the wire and the cap bounds what one client can make the server hold).
pub const MAX_MESSAGE: usize = 256 * 1024 * 1024;
/// Largest startup, SSL or cancel packet (PostgreSQL's MAX_STARTUP_PACKET_LENGTH).
pub const MAX_STARTUP: usize = 10_000;
/// Largest SASL message during authentication (PostgreSQL's PG_MAX_AUTH_TOKEN_LENGTH).
pub const MAX_AUTH_MESSAGE: usize = 65_535;

pub const SSL_REQUEST: u32 = 80_877_103;
pub const GSS_REQUEST: u32 = 80_877_104;
pub const CANCEL_REQUEST: u32 = 80_877_102;

/// The first packet of a connection.
#[derive(Debug)]
pub enum Initial {
    Ssl,
    Gss,
    Cancel {
        pid: i32,
        secret: i32,
    },
    Startup {
        version: u32,
        params: Vec<(String, String)>,
    },
}

/// A message of the normal phase.
#[derive(Debug)]
pub enum Message {
    Query(String),
    Parse {
        name: String,
        sql: String,
        types: Vec<u32>,
    },
    Bind {
        portal: String,
        statement: String,
        param_formats: Vec<i16>,
        params: Vec<Option<Bytes>>,
        result_formats: Vec<i16>,
    },
    Describe {
        kind: u8,
        name: String,
    },
    Execute {
        portal: String,
        max_rows: i32,
    },
    Close {
        kind: u8,
        name: String,
    },
    Sync,
    Flush,
    Terminate,
    CopyData(Bytes),
    CopyDone,
    CopyFail(String),
    /// A password message ('p') after authentication, which is always a protocol violation.
    Password,
}

/// Why the connection cannot go on.
#[derive(Debug)]
pub enum ReadError {
    /// The peer closed the socket (cleanly, between messages).
    Closed,
    Io(std::io::Error),
    /// A message that breaks the protocol: the connection is answered with FATAL 08P01 and closed.
    Protocol(String),
}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> ReadError {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            ReadError::Closed
        } else {
            ReadError::Io(e)
        }
    }
}

fn protocol(msg: impl Into<String>) -> ReadError {
    ReadError::Protocol(msg.into())
}

/// Reads the untagged first packet (startup, SSL/GSS request or cancel request).
pub async fn read_initial<R: AsyncRead + Unpin>(reader: &mut R) -> Result<Initial, ReadError> {
    let len = reader.read_u32().await? as usize;
    if !(8..=MAX_STARTUP).contains(&len) {
        return Err(protocol("invalid length of startup packet"));
    }
    let mut body = vec![0u8; len - 4];
    reader.read_exact(&mut body).await?;
    let mut cur = Cursor::new(Bytes::from(body));
    let code = cur.u32()?;
    match code {
        SSL_REQUEST => Ok(Initial::Ssl),
        GSS_REQUEST => Ok(Initial::Gss),
        CANCEL_REQUEST => Ok(Initial::Cancel {
            pid: cur.i32()?,
            secret: cur.i32()?,
        }),
        version => {
            let mut params = Vec::new();
            loop {
                let key = cur.cstr()?;
                if key.is_empty() {
                    break;
                }
                let value = cur.cstr()?;
                params.push((key, value));
            }
            Ok(Initial::Startup { version, params })
        }
    }
}

/// Reads one tagged message.
pub async fn read_message<R: AsyncRead + Unpin>(reader: &mut R) -> Result<Message, ReadError> {
    let tag = reader.read_u8().await?;
    let len = reader.read_u32().await? as usize;
    if len < 4 {
        return Err(protocol(format!("invalid message length {len}")));
    }
    let len = len - 4;
    if len > MAX_MESSAGE {
        return Err(protocol(format!(
            "message of {len} bytes exceeds the {MAX_MESSAGE}-byte limit"
        )));
    }
    // Memory grows with the bytes that actually arrive, not with the length a client announces.
    let mut body = Vec::with_capacity(len.min(64 * 1024));
    (&mut *reader).take(len as u64).read_to_end(&mut body).await?;
    if body.len() != len {
        return Err(ReadError::Closed);
    }
    decode(tag, Bytes::from(body))
}

/// Takes one whole message out of what `reader` has already buffered, without touching the
/// socket: `None` when the buffer holds no whole message (or a header `read_message` must
/// reject), and the caller reads the socket. A client sends Bind, Execute and Sync in one
/// write; the two after the first come from here, with no wait on the socket or on shutdown.
pub fn buffered_message<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> Option<Result<Message, ReadError>> {
    let buf = reader.buffer();
    let (&tag, rest) = buf.split_first()?;
    let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    let body_len = len.checked_sub(4).filter(|l| *l <= MAX_MESSAGE)?;
    let body = Bytes::copy_from_slice(rest.get(4..4 + body_len)?);
    Pin::new(reader).consume(1 + len);
    Some(decode(tag, body))
}

/// Reads the body of the client's answer during authentication: a 'p' message, whose meaning
/// (SASLInitialResponse or SASLResponse) the exchange's state decides. Anything else breaks the
/// protocol, and the size is capped before it is read.
pub async fn read_auth_response<R: AsyncRead + Unpin>(reader: &mut R) -> Result<Bytes, ReadError> {
    let tag = reader.read_u8().await?;
    if tag == b'X' {
        // The client gave up (libpq does when it has no password to send).
        return Err(ReadError::Closed);
    }
    if tag != b'p' {
        return Err(protocol(format!("expected SASL response, got message type {tag}")));
    }
    let len = reader.read_u32().await? as usize;
    let Some(len) = len.checked_sub(4).filter(|l| *l <= MAX_AUTH_MESSAGE) else {
        return Err(protocol(format!("invalid message length {len}")));
    };
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).await?;
    Ok(Bytes::from(body))
}

/// A SASLInitialResponse: the mechanism the client chose and its first message.
#[derive(Debug, PartialEq, Eq)]
pub struct SaslInitial {
    pub mechanism: String,
    /// Empty when the client sent none (length −1).
    pub data: Bytes,
}

/// Decodes a 'p' message body as SASLInitialResponse.
pub fn sasl_initial(body: Bytes) -> Result<SaslInitial, ReadError> {
    let mut cur = Cursor::new(body);
    let mechanism = cur.cstr()?;
    let len = cur.i32()?;
    let data = match usize::try_from(len) {
        Ok(len) => cur.bytes(len)?,
        Err(_) if len == -1 => Bytes::new(),
        Err(_) => return Err(protocol(format!("invalid SASL response length {len}"))),
    };
    if cur.bytes.has_remaining() {
        return Err(protocol("invalid message format"));
    }
    Ok(SaslInitial { mechanism, data })
}

fn decode(tag: u8, body: Bytes) -> Result<Message, ReadError> {
    let mut cur = Cursor::new(body);
    let msg = match tag {
        b'Q' => Message::Query(cur.cstr()?),
        b'P' => {
            let name = cur.cstr()?;
            let sql = cur.cstr()?;
            let n = cur.i16()?;
            let mut types = Vec::with_capacity(cur.capacity_for(n, 4)?);
            for _ in 0..n {
                types.push(cur.u32()?);
            }
            Message::Parse { name, sql, types }
        }
        b'B' => {
            let portal = cur.cstr()?;
            let statement = cur.cstr()?;
            let n = cur.i16()?;
            let mut param_formats = Vec::with_capacity(cur.capacity_for(n, 2)?);
            for _ in 0..n {
                param_formats.push(cur.i16()?);
            }
            let n = cur.i16()?;
            let mut params = Vec::with_capacity(cur.capacity_for(n, 4)?);
            for _ in 0..n {
                let len = cur.i32()?;
                params.push(if len < 0 { None } else { Some(cur.bytes(len as usize)?) });
            }
            let n = cur.i16()?;
            let mut result_formats = Vec::with_capacity(cur.capacity_for(n, 2)?);
            for _ in 0..n {
                result_formats.push(cur.i16()?);
            }
            Message::Bind {
                portal,
                statement,
                param_formats,
                params,
                result_formats,
            }
        }
        b'D' => Message::Describe {
            kind: cur.u8()?,
            name: cur.cstr()?,
        },
        b'E' => Message::Execute {
            portal: cur.cstr()?,
            max_rows: cur.i32()?,
        },
        b'C' => Message::Close {
            kind: cur.u8()?,
            name: cur.cstr()?,
        },
        b'S' => Message::Sync,
        b'H' => Message::Flush,
        b'X' => Message::Terminate,
        b'd' => Message::CopyData(cur.rest()),
        b'c' => Message::CopyDone,
        b'f' => Message::CopyFail(cur.cstr()?),
        b'p' => Message::Password,
        other => return Err(protocol(format!("invalid frontend message type {other}"))),
    };
    Ok(msg)
}

/// A bounds-checked reader over one message body.
struct Cursor {
    bytes: Bytes,
}

impl Cursor {
    fn new(bytes: Bytes) -> Cursor {
        Cursor { bytes }
    }

    fn need(&self, n: usize) -> Result<(), ReadError> {
        if self.bytes.remaining() < n {
            Err(protocol("insufficient data left in message"))
        } else {
            Ok(())
        }
    }

    /// A count read from the message is only trusted as far as the bytes left can hold.
    fn capacity_for(&self, count: i16, each: usize) -> Result<usize, ReadError> {
        if count < 0 {
            return Err(protocol(format!("invalid count {count} in message")));
        }
        let count = count as usize;
        self.need(count.saturating_mul(each))?;
        Ok(count)
    }

    fn u8(&mut self) -> Result<u8, ReadError> {
        self.need(1)?;
        Ok(self.bytes.get_u8())
    }

    fn i16(&mut self) -> Result<i16, ReadError> {
        self.need(2)?;
        Ok(self.bytes.get_i16())
    }

    fn i32(&mut self) -> Result<i32, ReadError> {
        self.need(4)?;
        Ok(self.bytes.get_i32())
    }

    fn u32(&mut self) -> Result<u32, ReadError> {
        self.need(4)?;
        Ok(self.bytes.get_u32())
    }

    fn bytes(&mut self, n: usize) -> Result<Bytes, ReadError> {
        self.need(n)?;
        Ok(self.bytes.split_to(n))
    }

    fn rest(&mut self) -> Bytes {
        self.bytes.split_off(0)
    }

    /// A NUL-terminated string, which must be valid UTF-8 (Vellum's only encoding).
    fn cstr(&mut self) -> Result<String, ReadError> {
        let Some(end) = self.bytes.iter().position(|b| *b == 0) else {
            return Err(protocol("invalid string in message"));
        };
        let s = self.bytes.split_to(end);
        self.bytes.advance(1);
        String::from_utf8(s.to_vec()).map_err(|_| protocol("invalid byte sequence for encoding \"UTF8\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_bind_is_a_protocol_error() {
        // Portal "", statement "", then a parameter-format count of 5 with no codes behind it.
        let body = Bytes::from_static(&[0, 0, 0, 5]);
        assert!(matches!(decode(b'B', body), Err(ReadError::Protocol(_))));
    }

    #[test]
    fn parameter_longer_than_message_is_rejected() {
        // No formats, one parameter claiming 1000 bytes while 2 remain.
        let body = Bytes::from_static(&[0, 0, 0, 0, 0, 1, 0, 0, 3, 232, 1, 2]);
        assert!(matches!(decode(b'B', body), Err(ReadError::Protocol(_))));
    }

    #[test]
    fn query_without_terminator_is_rejected() {
        assert!(matches!(
            decode(b'Q', Bytes::from_static(b"select 1")),
            Err(ReadError::Protocol(_))
        ));
        assert!(matches!(decode(b'Q', Bytes::from_static(b"select 1\0")), Ok(Message::Query(q)) if q == "select 1"));
    }

    #[test]
    fn sasl_initial_response_decodes_and_rejects_lies() {
        let mut body = b"SCRAM-SHA-256\0".to_vec();
        body.extend(5i32.to_be_bytes());
        body.extend(b"n,,n=");
        assert_eq!(
            sasl_initial(Bytes::from(body.clone())).unwrap(),
            SaslInitial {
                mechanism: "SCRAM-SHA-256".into(),
                data: Bytes::from_static(b"n,,n=")
            }
        );
        // Data shorter than its length, trailing bytes, a negative length other than -1, no mechanism.
        assert!(matches!(
            sasl_initial(Bytes::copy_from_slice(&body[..body.len() - 1])),
            Err(ReadError::Protocol(_))
        ));
        let mut trailing = body.clone();
        trailing.push(0);
        assert!(matches!(
            sasl_initial(Bytes::from(trailing)),
            Err(ReadError::Protocol(_))
        ));
        let mut negative = b"SCRAM-SHA-256\0".to_vec();
        negative.extend((-2i32).to_be_bytes());
        assert!(matches!(
            sasl_initial(Bytes::from(negative)),
            Err(ReadError::Protocol(_))
        ));
        assert!(matches!(
            sasl_initial(Bytes::from_static(b"SCRAM")),
            Err(ReadError::Protocol(_))
        ));
        let mut none = b"SCRAM-SHA-256\0".to_vec();
        none.extend((-1i32).to_be_bytes());
        assert!(sasl_initial(Bytes::from(none)).unwrap().data.is_empty());
    }

    #[tokio::test]
    async fn auth_responses_are_capped_and_typed() {
        let mut ok: &[u8] = b"p\0\0\0\x07abc";
        assert_eq!(&read_auth_response(&mut ok).await.unwrap()[..], b"abc");
        let mut huge = b"p".to_vec();
        huge.extend(((MAX_AUTH_MESSAGE + 5) as u32).to_be_bytes());
        assert!(matches!(
            read_auth_response(&mut &huge[..]).await,
            Err(ReadError::Protocol(_))
        ));
        let mut short: &[u8] = b"p\0\0\0\x02";
        assert!(matches!(
            read_auth_response(&mut short).await,
            Err(ReadError::Protocol(_))
        ));
        let mut query: &[u8] = b"Q\0\0\0\x05\0";
        assert!(matches!(
            read_auth_response(&mut query).await,
            Err(ReadError::Protocol(_))
        ));
        let mut truncated: &[u8] = b"p\0\0\0\x09ab";
        assert!(matches!(
            read_auth_response(&mut truncated).await,
            Err(ReadError::Closed)
        ));
    }

    #[tokio::test]
    async fn buffered_messages_are_taken_whole_and_only_whole() {
        // Bind (portal "", statement "s", no formats, one text parameter "7", no result
        // formats), Execute (portal "", no limit), Sync, then the first byte of another Sync.
        let mut bytes = b"B\0\0\0\x12\0s\0\0\0\0\x01\0\0\0\x017\0\0".to_vec();
        bytes.extend(b"E\0\0\0\x09\0\0\0\0\0");
        bytes.extend(b"S\0\0\0\x04");
        bytes.push(b'S');
        let mut reader = BufReader::new(&bytes[..]);
        assert!(
            buffered_message(&mut reader).is_none(),
            "nothing is buffered before the first read"
        );
        match read_message(&mut reader).await {
            Ok(Message::Bind { statement, params, .. }) => {
                assert_eq!(statement, "s");
                assert_eq!(params, vec![Some(Bytes::from_static(b"7"))]);
            }
            other => panic!("expected Bind, got {other:?}"),
        }
        assert!(matches!(
            buffered_message(&mut reader),
            Some(Ok(Message::Execute { portal, max_rows: 0 })) if portal.is_empty()
        ));
        assert!(matches!(buffered_message(&mut reader), Some(Ok(Message::Sync))));
        // Half a message stays in the buffer for `read_message`, which then finds the socket closed.
        assert!(buffered_message(&mut reader).is_none());
        assert!(matches!(read_message(&mut reader).await, Err(ReadError::Closed)));
    }

    #[tokio::test]
    async fn a_bad_buffered_header_is_left_to_read_message() {
        let bytes = b"Q\0\0\0\x02Q\0\0\0\x05\0".to_vec();
        let mut reader = BufReader::new(&bytes[..]);
        let _ = tokio::io::AsyncBufReadExt::fill_buf(&mut reader).await;
        assert!(buffered_message(&mut reader).is_none());
        assert!(matches!(read_message(&mut reader).await, Err(ReadError::Protocol(_))));
    }

    #[test]
    fn unknown_tag_is_rejected() {
        assert!(matches!(decode(b'!', Bytes::new()), Err(ReadError::Protocol(_))));
    }
}
