//! Who is acting, and the secrets that prove it: passwords (argon2), API tokens and session
//! ids (random, stored as SHA-256 hashes so a leaked database does not leak them).
use crate::error::{CoreError, Result};
use argon2::Argon2;
use argon2::{PasswordHash, PasswordHasher, PasswordVerifier};
use base64::Engine;
use relais_domain::{Action, Resource, Role, UserId};
use sha2::{Digest, Sha256};

/// The one acting: a signed-in user, or the machine's operator at the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub user: Option<UserId>,
    pub role: Role,
}

impl Actor {
    /// The operator of the `relais` command: has the database file, so has every right.
    pub const SYSTEM: Actor = Actor {
        user: None,
        role: Role::Admin,
    };

    pub fn require(&self, action: Action, resource: Resource) -> Result<()> {
        if self.role.may(action, resource) {
            Ok(())
        } else {
            Err(CoreError::Forbidden(format!(
                "{} {}",
                action.as_str(),
                resource.label
            )))
        }
    }
}

pub const MIN_PASSWORD: usize = 12;

pub fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(relais_domain::Invalid::one(
            "password",
            relais_domain::Msg::new(relais_domain::Code::TooShort).with("min", MIN_PASSWORD),
        )
        .into());
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| CoreError::Internal(format!("could not hash the password: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A new random secret: 32 bytes from the OS, URL-safe, with a prefix that says what it is
/// (so secret scanners can find a leaked token).
pub fn new_secret(prefix: &str) -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| CoreError::Internal(format!("no randomness available: {e}")))?;
    Ok(format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let h = hash_password("a long enough passphrase").unwrap();
        assert!(h.starts_with("$argon2"));
        assert!(verify_password("a long enough passphrase", &h));
        assert!(!verify_password("another passphrase!", &h));
        assert!(hash_password("short").is_err());
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let a = new_secret("relais_").unwrap();
        assert!(a.starts_with("relais_") && a.len() > 40);
        assert_ne!(a, new_secret("relais_").unwrap());
        assert_eq!(hash_secret(&a).len(), 64);
    }
}
