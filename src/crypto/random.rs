//! Operating-system randomness for values that are hashed or published (block nonces).

use crate::error::{sqlstate, Error, Result};

/// A uniformly random u64 from the operating system's generator.
pub fn random_u64() -> Result<u64> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| {
        Error::sql(
            sqlstate::IO_ERROR,
            format!("could not read the operating system's random number generator: {e}"),
        )
    })?;
    Ok(u64::from_le_bytes(bytes))
}
