//! What a person reads on the hub's consent page: their sex, birth date and birth country in
//! words ("Sexe : Féminin", "27 juillet 1981", "France (99100)"), presumed dates said as such, the
//! identity provider named — and never the raw protocol value alone (`female`, `1981-07-27`,
//! `99100`). One person of each gender and both kinds of presumed birth date, from
//! `fixtures/idp/users/database.csv`.

use anyhow::ensure;
use fantoccini::{Client, Locator};

use crate::{log_in_at_idp, text_of};

struct Person {
    login: &'static str,
    /// Texts the page must show.
    shows: &'static [&'static str],
    /// Raw values that must not appear as words of their own.
    never: &'static [&'static str],
    /// Codes (birth country, birthplace) that must only appear after a name.
    codes: &'static [&'static str],
}

const PEOPLE: &[Person] = &[
    Person {
        login: "3_melaine",
        shows: &["Sexe : Féminin", "27 juillet 1981", "France (99100)"],
        never: &["female", "1981-07-27"],
        codes: &["99100", "95277"],
    },
    Person {
        login: "4_jean",
        shows: &["Sexe : Masculin", "15 janvier 1970", "France (99100)"],
        never: &["male", "1970-01-15"],
        codes: &["99100", "69123"],
    },
    Person {
        login: "13_camille_genre_non_specifie",
        shows: &["Sexe : Non spécifié", "21 juin 1993", "France (99100)"],
        never: &["unspecified", "1993-06-21"],
        codes: &["99100", "33063"],
    },
    Person {
        login: "6_aicha_date_presumee",
        shows: &[
            "Sexe : Féminin",
            "Date de naissance : 1980 (jour et mois inconnus)",
            "Maroc (99350)",
        ],
        never: &["female", "1980-00-00"],
        codes: &["99350"],
    },
    Person {
        login: "15_lucie_jour_presume",
        shows: &[
            "Sexe : Féminin",
            "Date de naissance : mars 1975 (jour inconnu)",
            "France (99100)",
        ],
        never: &["female", "1975-03-00"],
        codes: &["99100", "13055"],
    },
];

/// The words of `text` (letters, digits and `-`), to find a raw value standing alone.
fn words(text: &str) -> Vec<&str> {
    text.split(|ch: char| !(ch.is_alphanumeric() || ch == '-'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// How many times `code` (a COG code) stands on `text` without a name before it, as in "99100"
/// rather than "France (99100)".
fn bare(text: &str, code: &str) -> usize {
    let all = words(text).iter().filter(|w| **w == code).count();
    let named = text
        .match_indices(&format!(" ({code})"))
        .filter(|(i, _)| text[..*i].chars().last().is_some_and(char::is_alphabetic))
        .count();
    all.saturating_sub(named)
}

/// Logs `login` in up to the consent page, from a browser with no session, and returns the
/// IdP's name on the mire and the consent page's main text.
async fn consent_page_of(c: &Client, sp: &str, login: &str) -> anyhow::Result<(String, String)> {
    c.goto(&format!("{sp}/")).await?;
    // Cookies are per host, not per port: this ends the hub's and the IdP's sessions too.
    c.delete_all_cookies().await?;
    c.goto(&format!("{sp}/")).await?;
    crate::click(c, "#fc-login").await?;
    let idp = text_of(c, "[data-testid=\"idp-identity-provider-example\"]").await?;
    crate::click(c, "[data-testid=\"idp-identity-provider-example\"]").await?;
    c.wait()
        .at_most(crate::WAIT)
        .for_element(Locator::Css("#login-form"))
        .await?;
    log_in_at_idp(c, login, "123").await?;
    c.wait()
        .at_most(crate::WAIT)
        .for_element(Locator::Css("#consent-form"))
        .await?;
    Ok((idp.trim().to_owned(), text_of(c, "main").await?))
}

pub async fn consent_wording(c: &Client, sp: &str) -> anyhow::Result<()> {
    for person in PEOPLE {
        let (idp, page) = consent_page_of(c, sp, person.login).await?;
        let login = person.login;
        ensure!(!idp.is_empty(), "the mire names no identity provider");
        ensure!(
            page.contains(&format!("Informations récupérées depuis {idp}")),
            "{login}: the consent page does not name the IdP {idp:?}:\n{page}"
        );
        for shown in person.shows {
            ensure!(
                page.contains(shown),
                "{login}: the consent page lacks {shown:?}:\n{page}"
            );
        }
        let page_words = words(&page);
        for raw in person.never {
            ensure!(
                !page_words.contains(raw),
                "{login}: the consent page shows the raw value {raw:?}:\n{page}"
            );
        }
        for code in person.codes {
            ensure!(
                bare(&page, code) == 0,
                "{login}: the consent page shows the code {code} without its name:\n{page}"
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_alone_is_found_and_a_named_one_is_not() {
        assert_eq!(bare("Pays de naissance : France (99100)", "99100"), 0);
        assert_eq!(bare("Pays de naissance : 99100", "99100"), 1);
        assert_eq!(bare("Pays : (99100)", "99100"), 1);
        assert_eq!(bare("France (99100), puis 99100", "99100"), 1);
    }

    #[test]
    fn raw_values_are_matched_as_whole_words() {
        assert!(words("Sexe : Féminin, né le 1981-07-27").contains(&"1981-07-27"));
        assert!(!words("Sexe : female").contains(&"male"));
    }
}
