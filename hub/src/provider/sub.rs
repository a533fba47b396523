//! The pairwise `sub` a service provider receives (`docs/hub.md`, "Pairwise sub": FranceConnect's
//! formula).
//!
//! The identity hash takes each character of the pivot identity as one byte (code point & 0xFF),
//! as Node's "binary" encoding does in FranceConnect; the birthplace only counts for people born
//! in France. The sub mixes the SP's `entity_id`, so two SPs of one organisation share it and
//! any other SP gets a different one. Data providers get theirs with their `client_id`.

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::domain::Identity;

pub fn identity_hash(identity: &Identity) -> String {
    let birthplace = if identity.birthcountry == "99100" {
        identity.birthplace.as_str()
    } else {
        ""
    };
    let mut hasher = Sha256::new();
    for part in [
        identity.given_name.as_str(),
        identity.family_name.as_str(),
        identity.birthdate.as_str(),
        identity.gender.as_str(),
        birthplace,
        identity.birthcountry.as_str(),
    ] {
        let bytes: Vec<u8> = part.chars().map(|c| (u32::from(c) & 0xFF) as u8).collect();
        hasher.update(&bytes);
    }
    base64::engine::general_purpose::STANDARD.encode(hasher.finalize())
}

pub fn pairwise_sub(entity_id: &str, identity: &Identity, sub_secret: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(entity_id.as_bytes());
    hasher.update(identity_hash(identity).as_bytes());
    hasher.update(sub_secret.as_bytes());
    format!("{}v1", hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joelle() -> Identity {
        Identity {
            given_name: "Joëlle Françoise".into(),
            family_name: "DUBINÔRE".into(),
            birthdate: "1992-08-15".into(),
            gender: "female".into(),
            birthplace: "75117".into(),
            birthcountry: "99100".into(),
            ..Identity::default()
        }
    }

    #[test]
    fn franceconnect_test_vector() {
        let id = joelle();
        assert_eq!(
            identity_hash(&id),
            "J2WdqlpnUQ1WxMA3BngwBCPo0Al6bxKgBb/PVNZlZZs="
        );
        assert_eq!(
            pairwise_sub(
                "a0cd64372db6ecf39c317c0c74ce90f02d8ad7d510ce054883b759d666a996bc",
                &id,
                "9ed64cd3762973c8a5219e0774671940a3550ae1050af86831d613193e825caa"
            ),
            "34f4e38b510841db1a83716b981f7298badec51dc52e91af245903b56e2d72bbv1"
        );
    }

    #[test]
    fn birthplace_only_counts_for_people_born_in_france() {
        let mut abroad = joelle();
        abroad.birthcountry = "99109".into();
        let mut abroad_other_place = abroad.clone();
        abroad_other_place.birthplace = "12345".into();
        assert_eq!(identity_hash(&abroad), identity_hash(&abroad_other_place));
        let mut french_other_place = joelle();
        french_other_place.birthplace = "12345".into();
        assert_ne!(identity_hash(&joelle()), identity_hash(&french_other_place));
    }

    #[test]
    fn sub_depends_on_the_entity_id() {
        let a = pairwise_sub("entity-a", &joelle(), "s");
        assert_eq!(a, pairwise_sub("entity-a", &joelle(), "s"));
        assert_ne!(a, pairwise_sub("entity-b", &joelle(), "s"));
        assert_eq!(a.len(), 66);
    }
}
