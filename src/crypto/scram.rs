//! SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL speaks it.
//!
//! A role's password is stored only as a [`Verifier`] in PostgreSQL's text form
//! `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (base64 parts), so the store never
//! holds anything a client could replay, and verifiers move between Vellum and PostgreSQL
//! unchanged (`CREATE ROLE … PASSWORD 'SCRAM-SHA-256$…'` is accepted as is).
//!
//! [`ServerExchange`] is the server side of one login: feed it the client-first message, send
//! back what it returns (AuthenticationSASLContinue), feed it the client-final message, and on
//! success send its answer as AuthenticationSASLFinal. A login for a role that has no verifier
//! runs the same exchange against a random one and fails at the end, so a client cannot tell
//! missing roles from wrong passwords.
//!
//! Limits: channel binding (`SCRAM-SHA-256-PLUS`) is not offered; clients that send the `y`
//! GS2 flag ("I support binding, the server did not offer it") are accepted as RFC 5802 allows.
//! Passwords are used as UTF-8 bytes without SASLprep normalization; PostgreSQL also falls back
//! to the raw bytes when SASLprep fails, and ASCII passwords are unaffected either way.

use std::fmt;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{KeyInit, Mac};

use super::hash::{sha256, DIGEST_LEN};

/// The SASL mechanism name clients select.
pub const MECHANISM: &str = "SCRAM-SHA-256";
/// PBKDF2 iterations for new verifiers (PostgreSQL's default `scram_iterations`).
pub const DEFAULT_ITERATIONS: u32 = 4096;
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 18;
const PREFIX: &str = "SCRAM-SHA-256$";

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// What the server keeps of a password.
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub stored_key: [u8; DIGEST_LEN],
    pub server_key: [u8; DIGEST_LEN],
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys are password-equivalent for an attacker who can also sniff a login; keep them out of logs.
        f.debug_struct("Verifier")
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier for `password` with a fresh random salt.
    pub fn from_password(password: &str) -> Verifier {
        Verifier::with_salt(password, &random_bytes(SALT_LEN), DEFAULT_ITERATIONS)
    }

    /// A verifier for `password` with the given salt and iteration count.
    pub fn with_salt(password: &str, salt: &[u8], iterations: u32) -> Verifier {
        let mut salted = [0u8; DIGEST_LEN];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password.as_bytes(), salt, iterations, &mut salted);
        let client_key = hmac(&salted, b"Client Key");
        Verifier {
            iterations,
            salt: salt.to_vec(),
            stored_key: sha256(&client_key),
            server_key: hmac(&salted, b"Server Key"),
        }
    }

    /// Parses PostgreSQL's text form; `None` when `text` is not a well-formed SCRAM-SHA-256 verifier.
    pub fn parse(text: &str) -> Option<Verifier> {
        let rest = text.strip_prefix(PREFIX)?;
        let (params, keys) = rest.split_once('$')?;
        let (iterations, salt) = params.split_once(':')?;
        let (stored, server) = keys.split_once(':')?;
        let iterations: u32 = iterations.parse().ok().filter(|&i| i > 0)?;
        let salt = B64.decode(salt).ok().filter(|s| !s.is_empty())?;
        Some(Verifier {
            iterations,
            salt,
            stored_key: B64.decode(stored).ok()?.try_into().ok()?,
            server_key: B64.decode(server).ok()?.try_into().ok()?,
        })
    }

    /// Whether `text` looks like a stored verifier rather than a clear-text password (PostgreSQL
    /// stores such strings as given).
    pub fn is_verifier(text: &str) -> bool {
        Verifier::parse(text).is_some()
    }
}

impl fmt::Display for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{PREFIX}{}:{}${}:{}",
            self.iterations,
            B64.encode(&self.salt),
            B64.encode(self.stored_key),
            B64.encode(self.server_key)
        )
    }
}

/// Why an exchange ended without authenticating.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScramError {
    /// The client broke the protocol (PostgreSQL answers 08P01).
    #[error("malformed SCRAM message: {0}")]
    Malformed(&'static str),
    /// Wrong password or unknown role (28P01).
    #[error("password authentication failed")]
    Failed,
}

enum State {
    AwaitingFirst,
    AwaitingFinal {
        client_first_bare: String,
        server_first: String,
        nonce: String,
        gs2_header: String,
    },
    Done,
}

/// The server side of one SCRAM-SHA-256 login.
pub struct ServerExchange {
    verifier: Verifier,
    /// False when `verifier` is a stand-in for a role that cannot log in with a password.
    genuine: bool,
    server_nonce: String,
    state: State,
}

impl ServerExchange {
    /// Starts an exchange against `verifier`; `None` runs a mock exchange that always fails.
    pub fn new(verifier: Option<Verifier>) -> ServerExchange {
        ServerExchange::with_nonce(verifier, B64.encode(random_bytes(NONCE_LEN)))
    }

    /// As `new`, with a chosen server nonce (for test vectors).
    pub fn with_nonce(verifier: Option<Verifier>, server_nonce: String) -> ServerExchange {
        let genuine = verifier.is_some();
        let verifier = verifier.unwrap_or_else(|| Verifier {
            iterations: DEFAULT_ITERATIONS,
            salt: random_bytes(SALT_LEN),
            stored_key: random_array(),
            server_key: random_array(),
        });
        ServerExchange {
            verifier,
            genuine,
            server_nonce,
            state: State::AwaitingFirst,
        }
    }

    /// Takes the client-first message (the SASLInitialResponse data) and returns server-first.
    pub fn client_first(&mut self, message: &[u8]) -> Result<String, ScramError> {
        if !matches!(self.state, State::AwaitingFirst) {
            return Err(ScramError::Malformed("unexpected client-first message"));
        }
        self.state = State::Done;
        let message = std::str::from_utf8(message).map_err(|_| ScramError::Malformed("not UTF-8"))?;
        let (gs2_header, bare) = split_gs2_header(message)?;
        // PostgreSQL ignores the user name here (it comes from the startup packet), but the
        // attribute must be present.
        let mut parts = bare.split(',');
        let user = parts.next().ok_or(ScramError::Malformed("missing user name"))?;
        if !user.starts_with("n=") {
            return Err(ScramError::Malformed("expected attribute \"n\""));
        }
        let client_nonce = parts
            .next()
            .and_then(|p| p.strip_prefix("r="))
            .filter(|n| !n.is_empty() && n.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b','))
            .ok_or(ScramError::Malformed("expected a client nonce"))?;
        let nonce = format!("{client_nonce}{}", self.server_nonce);
        let server_first = format!(
            "r={nonce},s={},i={}",
            B64.encode(&self.verifier.salt),
            self.verifier.iterations
        );
        self.state = State::AwaitingFinal {
            client_first_bare: bare.to_string(),
            server_first: server_first.clone(),
            nonce,
            gs2_header: gs2_header.to_string(),
        };
        Ok(server_first)
    }

    /// Takes the client-final message (SASLResponse data); on success returns server-final
    /// (`v=<ServerSignature>`), which the server sends as AuthenticationSASLFinal.
    pub fn client_final(&mut self, message: &[u8]) -> Result<String, ScramError> {
        let State::AwaitingFinal {
            client_first_bare,
            server_first,
            nonce,
            gs2_header,
        } = std::mem::replace(&mut self.state, State::Done)
        else {
            return Err(ScramError::Malformed("unexpected client-final message"));
        };
        let message = std::str::from_utf8(message).map_err(|_| ScramError::Malformed("not UTF-8"))?;
        let (without_proof, proof) = message
            .rsplit_once(",p=")
            .ok_or(ScramError::Malformed("missing client proof"))?;
        let mut attrs = without_proof.split(',');
        let binding = attrs
            .next()
            .and_then(|a| a.strip_prefix("c="))
            .ok_or(ScramError::Malformed("expected attribute \"c\""))?;
        if B64.decode(binding).ok().as_deref() != Some(gs2_header.as_bytes()) {
            return Err(ScramError::Malformed("channel binding data does not match"));
        }
        let client_nonce = attrs
            .next()
            .and_then(|a| a.strip_prefix("r="))
            .ok_or(ScramError::Malformed("expected attribute \"r\""))?;
        if client_nonce != nonce {
            return Err(ScramError::Malformed("nonce does not match"));
        }
        let proof: [u8; DIGEST_LEN] = B64
            .decode(proof)
            .ok()
            .and_then(|p| p.try_into().ok())
            .ok_or(ScramError::Malformed("malformed client proof"))?;
        let auth_message = format!("{client_first_bare},{server_first},{without_proof}");
        let client_signature = hmac(&self.verifier.stored_key, auth_message.as_bytes());
        let mut client_key = [0u8; DIGEST_LEN];
        for (k, (p, s)) in client_key.iter_mut().zip(proof.iter().zip(client_signature.iter())) {
            *k = p ^ s;
        }
        let matches = constant_time_eq(&sha256(&client_key), &self.verifier.stored_key);
        if !(matches && self.genuine) {
            return Err(ScramError::Failed);
        }
        let server_signature = hmac(&self.verifier.server_key, auth_message.as_bytes());
        Ok(format!("v={}", B64.encode(server_signature)))
    }
}

/// Splits `gs2-header` (`n,,` / `y,,`, optionally with `a=authzid`) from the bare message.
fn split_gs2_header(message: &str) -> Result<(&str, &str), ScramError> {
    let flag_end = message.find(',').ok_or(ScramError::Malformed("missing GS2 header"))?;
    match &message[..flag_end] {
        "n" | "y" => {}
        flag if flag.starts_with("p=") => {
            return Err(ScramError::Malformed("channel binding was not offered"));
        }
        _ => return Err(ScramError::Malformed("unexpected channel-binding flag")),
    }
    let authzid_end = message[flag_end + 1..]
        .find(',')
        .map(|i| flag_end + 1 + i)
        .ok_or(ScramError::Malformed("missing GS2 header"))?;
    let authzid = &message[flag_end + 1..authzid_end];
    if !authzid.is_empty() && !authzid.starts_with("a=") {
        return Err(ScramError::Malformed("unexpected attribute in GS2 header"));
    }
    Ok((&message[..=authzid_end], &message[authzid_end + 1..]))
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; DIGEST_LEN] {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    fill_random(&mut bytes);
    bytes
}

fn random_array() -> [u8; DIGEST_LEN] {
    let mut bytes = [0u8; DIGEST_LEN];
    fill_random(&mut bytes);
    bytes
}

fn fill_random(bytes: &mut [u8]) {
    // The OS generator failing is not something a login can recover from; refuse to go on with
    // predictable salts or nonces.
    getrandom::fill(bytes).expect("operating-system random number generator unavailable");
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7677 §3: user "user", password "pencil".
    const CLIENT_FIRST: &str = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
    const SERVER_NONCE: &str = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    const SERVER_FIRST: &str = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    const CLIENT_FINAL: &str =
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    const SERVER_FINAL: &str = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    fn rfc_verifier(password: &str) -> Verifier {
        let salt = B64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        Verifier::with_salt(password, &salt, 4096)
    }

    #[test]
    fn rfc7677_exchange() {
        let mut exchange = ServerExchange::with_nonce(Some(rfc_verifier("pencil")), SERVER_NONCE.into());
        assert_eq!(exchange.client_first(CLIENT_FIRST.as_bytes()).unwrap(), SERVER_FIRST);
        assert_eq!(exchange.client_final(CLIENT_FINAL.as_bytes()).unwrap(), SERVER_FINAL);
    }

    #[test]
    fn wrong_password_fails() {
        let mut exchange = ServerExchange::with_nonce(Some(rfc_verifier("pencil2")), SERVER_NONCE.into());
        exchange.client_first(CLIENT_FIRST.as_bytes()).unwrap();
        assert_eq!(exchange.client_final(CLIENT_FINAL.as_bytes()), Err(ScramError::Failed));
    }

    #[test]
    fn mock_exchange_always_fails() {
        let mut exchange = ServerExchange::with_nonce(None, SERVER_NONCE.into());
        let first = exchange.client_first(CLIENT_FIRST.as_bytes()).unwrap();
        assert!(first.starts_with("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s="));
        assert_eq!(exchange.client_final(CLIENT_FINAL.as_bytes()), Err(ScramError::Failed));
    }

    #[test]
    fn tampered_messages_are_rejected() {
        let run = |final_message: &str| {
            let mut exchange = ServerExchange::with_nonce(Some(rfc_verifier("pencil")), SERVER_NONCE.into());
            exchange.client_first(CLIENT_FIRST.as_bytes()).unwrap();
            exchange.client_final(final_message.as_bytes())
        };
        assert!(matches!(
            run(&CLIENT_FINAL.replace("r=rOpr", "r=xOpr")),
            Err(ScramError::Malformed(_))
        ));
        assert!(matches!(
            run(&CLIENT_FINAL.replace("c=biws", "c=eSws")),
            Err(ScramError::Malformed(_))
        ));
        assert_eq!(run(&CLIENT_FINAL.replace("p=dHzb", "p=dHzc")), Err(ScramError::Failed));
        assert!(run("garbage").is_err());
        let mut exchange = ServerExchange::new(Some(rfc_verifier("pencil")));
        assert!(exchange.client_final(CLIENT_FINAL.as_bytes()).is_err());
        for bad in [
            "",
            "x,,n=user,r=abc",
            "p=tls-server-end-point,,n=user,r=abc",
            "n,,r=abc",
            "n,,n=user",
        ] {
            let mut exchange = ServerExchange::new(Some(rfc_verifier("pencil")));
            assert!(exchange.client_first(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn verifier_text_round_trips() {
        let verifier = Verifier::from_password("s3cret");
        let text = verifier.to_string();
        assert!(text.starts_with("SCRAM-SHA-256$4096:"));
        assert_eq!(Verifier::parse(&text), Some(verifier.clone()));
        assert_ne!(
            Verifier::from_password("s3cret").salt,
            verifier.salt,
            "salts are random"
        );
        for bad in [
            "s3cret",
            "SCRAM-SHA-256$0:AA==$AA==:AA==",
            "SCRAM-SHA-256$4096:AA==$AA==:AA==",
            "md5abc",
        ] {
            assert!(!Verifier::is_verifier(bad), "{bad}");
        }
    }
}
