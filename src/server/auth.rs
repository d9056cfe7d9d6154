//! Authentication of a connection once its startup packet names the user: what the user must
//! prove (`requirement`), and the SCRAM-SHA-256 exchange over SASL messages (`Connection::authenticate`).
//!
//! The exchange follows PostgreSQL: AuthenticationSASL offering `SCRAM-SHA-256`, the client's
//! SASLInitialResponse (client-first), AuthenticationSASLContinue (server-first), SASLResponse
//! (client-final), AuthenticationSASLFinal (server-final); AuthenticationOk follows in the
//! startup. Unknown roles and roles without a password run the same exchange against a stand-in
//! verifier and fail as a wrong password does (28P01), so a client learns nothing about which
//! roles exist; whether the role may log in (28000) is checked only after authentication.
//! Logs name the user, the peer and the reason, never a message of the exchange.
//!
//! The password itself never reaches the server: only verifiers are stored (`RoleDef::password`)
//! and only proofs cross the wire. Nothing is registered before authentication succeeds, so a
//! client that leaves mid-exchange (or is cut off by the startup timeout) leaves nothing behind.

use bytes::Bytes;

use crate::catalog::RoleDef;
use crate::crypto::scram::{ScramError, ServerExchange, Verifier, MECHANISM};
use crate::error::{sqlstate, Error};

use super::connection::{Closed, Connection};
use super::frontend::{self, ReadError};
use super::listener::AuthMethod;

/// What a connecting user must prove.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Requirement {
    /// Nothing: the connection is trusted.
    Trust,
    /// A SCRAM-SHA-256 proof against this verifier; `None` (no such role, no usable password)
    /// runs an exchange that always fails.
    Password(Option<Verifier>),
}

/// What `role` (as found in the catalog, `None` when it does not exist) must prove under
/// `method` when connecting from a loopback address (`loopback`) or not.
pub(super) fn requirement(method: AuthMethod, role: Option<&RoleDef>, loopback: bool) -> Requirement {
    let stored = role.and_then(|r| r.password.as_deref());
    let verifier = stored.and_then(|text| {
        let parsed = Verifier::parse(text);
        if parsed.is_none() {
            tracing::warn!(
                role = role.map(|r| r.name.as_str()).unwrap_or_default(),
                "stored password is not a SCRAM-SHA-256 verifier; password logins of this role fail"
            );
        }
        parsed
    });
    match method {
        // A password, once set, is always asked for: setting one is how a user says "not
        // without it", even on this machine.
        AuthMethod::LoopbackTrust if stored.is_none() && loopback => Requirement::Trust,
        AuthMethod::LoopbackTrust | AuthMethod::Scram => Requirement::Password(verifier),
    }
}

impl Connection {
    /// Authenticates `user` as the server's method requires. `Err` means the client was told
    /// why (FATAL) or is gone, and the connection ends.
    pub(super) async fn authenticate(&mut self, user: &str) -> Result<(), Closed> {
        let role = self.shared.db.catalog().role(user);
        let loopback = self.peer.ip().is_loopback();
        let verifier = match requirement(self.shared.config.auth, role.as_deref(), loopback) {
            Requirement::Trust => return Ok(()),
            Requirement::Password(v) => v,
        };
        // For the log only: the client hears the same thing in every case.
        let reason = match (&role, &verifier) {
            (None, _) => "role does not exist",
            (Some(r), None) if r.password.is_none() => "role has no password assigned",
            (Some(_), None) => "stored password is not a SCRAM-SHA-256 verifier",
            (Some(_), Some(_)) => "wrong password",
        };
        let mut exchange = ServerExchange::new(verifier);
        self.out.auth_sasl(&[MECHANISM]);
        self.flush().await?;

        let initial = match frontend::sasl_initial(self.read_auth_response(user).await?) {
            Ok(initial) => initial,
            Err(e) => {
                self.read_failed(e).await;
                return Err(Closed);
            }
        };
        if initial.mechanism != MECHANISM {
            tracing::info!(peer = %self.peer, user, mechanism = %initial.mechanism, "authentication failed: unsupported SASL mechanism");
            self.fatal(&Error::sql(
                sqlstate::PROTOCOL_VIOLATION,
                "client selected an invalid SASL authentication mechanism",
            ))
            .await;
            return Err(Closed);
        }
        let server_first = match exchange.client_first(&initial.data) {
            Ok(message) => message,
            Err(e) => return self.authentication_failed(user, e, reason).await,
        };
        self.out.auth_sasl_continue(server_first);
        self.flush().await?;

        let client_final = self.read_auth_response(user).await?;
        match exchange.client_final(&client_final) {
            Ok(server_final) => {
                self.out.auth_sasl_final(server_final);
                tracing::debug!(peer = %self.peer, user, "password authentication succeeded");
                Ok(())
            }
            Err(e) => self.authentication_failed(user, e, reason).await,
        }
    }

    /// The body of the client's next SASL message; on failure the connection is answered and ends.
    async fn read_auth_response(&mut self, user: &str) -> Result<Bytes, Closed> {
        match frontend::read_auth_response(&mut self.reader).await {
            Ok(body) => Ok(body),
            Err(e) => {
                if matches!(e, ReadError::Closed) {
                    // What libpq does when it has no password to send.
                    tracing::debug!(peer = %self.peer, user, "client closed the connection during authentication");
                }
                self.read_failed(e).await;
                Err(Closed)
            }
        }
    }

    async fn authentication_failed(&mut self, user: &str, e: ScramError, reason: &str) -> Result<(), Closed> {
        let error = match e {
            ScramError::Malformed(what) => {
                tracing::info!(peer = %self.peer, user, "authentication failed: malformed SCRAM message ({what})");
                Error::sql(sqlstate::PROTOCOL_VIOLATION, "malformed SCRAM message").with_detail(what)
            }
            _ => {
                tracing::info!(peer = %self.peer, user, reason, "password authentication failed");
                Error::sql(
                    sqlstate::INVALID_PASSWORD,
                    format!("password authentication failed for user \"{user}\""),
                )
            }
        };
        self.fatal(&error).await;
        Err(Closed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(password: Option<String>) -> RoleDef {
        RoleDef {
            password,
            ..RoleDef::bootstrap()
        }
    }

    #[test]
    fn loopback_trust_asks_for_a_password_only_when_one_is_set() {
        let verifier = Verifier::from_password("pw");
        let with = role(Some(verifier.to_string()));
        let without = role(None);
        use AuthMethod::LoopbackTrust as T;
        assert_eq!(requirement(T, Some(&without), true), Requirement::Trust);
        assert_eq!(
            requirement(T, Some(&with), true),
            Requirement::Password(Some(verifier.clone()))
        );
        // Unknown roles are trusted as far as authentication goes; the session start refuses them.
        assert_eq!(requirement(T, None, true), Requirement::Trust);
        // Beyond loopback nothing is trusted.
        assert_eq!(requirement(T, Some(&without), false), Requirement::Password(None));
        assert_eq!(requirement(T, None, false), Requirement::Password(None));
    }

    #[test]
    fn scram_always_asks_and_fails_without_a_verifier() {
        let verifier = Verifier::from_password("pw");
        use AuthMethod::Scram as S;
        for loopback in [true, false] {
            assert_eq!(
                requirement(S, Some(&role(Some(verifier.to_string()))), loopback),
                Requirement::Password(Some(verifier.clone()))
            );
            assert_eq!(requirement(S, Some(&role(None)), loopback), Requirement::Password(None));
            assert_eq!(requirement(S, None, loopback), Requirement::Password(None));
            assert_eq!(
                requirement(S, Some(&role(Some("md5abcdef".into()))), loopback),
                Requirement::Password(None)
            );
        }
    }
}
