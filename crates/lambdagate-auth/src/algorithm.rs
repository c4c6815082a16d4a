//! The JWT signature algorithms API Gateway accepts (RSA only), shared by verification
//! ([`crate::jwt`]) and the local issuer's signing ([`crate::local`]).

use rsa::PublicKey;
use rsa::sha2::{Sha256, Sha384, Sha512};

/// The RSA signature algorithms API Gateway accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
}

impl Algorithm {
    /// The algorithm a JOSE `alg` names, when it is one of these.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        match name {
            "RS256" => Some(Algorithm::Rs256),
            "RS384" => Some(Algorithm::Rs384),
            "RS512" => Some(Algorithm::Rs512),
            _ => None,
        }
    }

    /// The JOSE name.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Rs256 => "RS256",
            Algorithm::Rs384 => "RS384",
            Algorithm::Rs512 => "RS512",
        }
    }

    pub(crate) fn verify(self, key: &PublicKey, input: &[u8], signature: &[u8]) -> bool {
        match self {
            Algorithm::Rs256 => key.pkcs1v15_verify::<Sha256>(input, signature),
            Algorithm::Rs384 => key.pkcs1v15_verify::<Sha384>(input, signature),
            Algorithm::Rs512 => key.pkcs1v15_verify::<Sha512>(input, signature),
        }
        .is_ok()
    }
}
