//! The test accounts as people read them, on the login form and the accounts page: dates in
//! French ("27 juillet 1981"), where each account comes from, and the failure scenario its login
//! picks.

use serde::Serialize;

use crate::scenario::Scenario;
use crate::state::AppState;
use crate::users::{User, UserDirectory};

/// The account the login form suggests (FranceConnect's own example account), when it exists.
pub const SUGGESTED_LOGIN: &str = "3_melaine";

/// How many test accounts the login form lists; the accounts page has them all. Rendering every
/// account on each `/authorize` made the form O(people): with 2 000 people the IdP spent most of
/// its CPU there and the hub's calls to it timed out (BENCHMARKS.md).
pub const LOGIN_PAGE_ACCOUNTS: usize = 20;

#[derive(Serialize)]
pub struct AccountRow {
    identifiant: String,
    password: String,
    name: String,
    /// The birth date as people read it; `birthdate_iso` as the file has it.
    birthdate: String,
    birthdate_iso: String,
    place: String,
    /// What the login makes the IdP do, for failure scenarios.
    scenario: Option<&'static str>,
}

/// A login and password the form suggests.
#[derive(Serialize)]
pub struct Hint {
    login: String,
    password: String,
}

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// `YYYY-MM-DD` in French: "27 juillet 1981", "1er mai 1990"; a presumed day or month (`00`, as
/// FranceConnect writes them) gives "mars 1975" or "1980"; anything else is shown as it is.
pub fn date_fr(iso: &str) -> String {
    let mut parts = iso.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return iso.to_owned();
    };
    let number = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<usize>().ok())
            .flatten()
    };
    let (Some(_), Some(month), Some(day)) = (number(y, 4), number(m, 2), number(d, 2)) else {
        return iso.to_owned();
    };
    let month_name = match month {
        0 => return y.to_owned(),
        _ => match MONTHS.get(month - 1) {
            Some(name) => *name,
            None => return iso.to_owned(),
        },
    };
    match day {
        0 => format!("{month_name} {y}"),
        1 => format!("1er {month_name} {y}"),
        2..=31 => format!("{day} {month_name} {y}"),
        _ => iso.to_owned(),
    }
}

fn account_row(user: &User) -> AccountRow {
    AccountRow {
        identifiant: user.identifiant.clone(),
        password: user.password().to_owned(),
        name: user.display_name(),
        birthdate: date_fr(&user.date_de_naissance),
        birthdate_iso: user.date_de_naissance.clone(),
        place: user.place.to_string(),
        scenario: Scenario::docs()
            .find(|d| d.login == user.identifiant)
            .map(|d| d.effect),
    }
}

/// Every test account, in load order, for the accounts page.
pub fn account_rows(state: &AppState) -> Vec<AccountRow> {
    state.users.current().iter().map(account_row).collect()
}

/// The accounts of the login form: the first [`LOGIN_PAGE_ACCOUNTS`] ordinary people in load
/// order (the failure-scenario logins have their own list on the form), and how many accounts
/// the accounts page lists in all.
pub fn login_page_accounts(people: &UserDirectory) -> (Vec<AccountRow>, usize) {
    let rows = ordinary(people)
        .take(LOGIN_PAGE_ACCOUNTS)
        .map(account_row)
        .collect();
    (rows, people.len())
}

/// The account the form suggests: [`SUGGESTED_LOGIN`], else the first ordinary one.
pub fn suggested_account(people: &UserDirectory) -> Option<Hint> {
    people
        .get(SUGGESTED_LOGIN)
        .or_else(|| ordinary(people).next())
        .map(|user| Hint {
            login: user.identifiant.clone(),
            password: user.password().to_owned(),
        })
}

fn ordinary(people: &UserDirectory) -> impl Iterator<Item = &User> {
    people
        .iter()
        .filter(|user| Scenario::from_login(&user.identifiant).is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_in_french() {
        assert_eq!(date_fr("1981-07-27"), "27 juillet 1981");
        assert_eq!(date_fr("1990-05-01"), "1er mai 1990");
        assert_eq!(date_fr("1962-08-24"), "24 août 1962");
        assert_eq!(date_fr("1949-12-31"), "31 décembre 1949");
        assert_eq!(date_fr("1975-03-00"), "mars 1975");
        assert_eq!(date_fr("1980-00-00"), "1980");
        for raw in [
            "",
            "1981-13-01",
            "1981-07-32",
            "27/07/1981",
            "1981-7-27",
            "x-y-z",
        ] {
            assert_eq!(date_fr(raw), raw);
        }
    }
}
