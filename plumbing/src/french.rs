//! Identity and data values as a French reader expects them, for every page that shows them to a
//! person: "Féminin", "27 juillet 1981", "France (99100)", "42 000 €". Protocol values stay as they
//! are on the wire; only pages use these. Codes the tables do not know are shown as codes.

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

/// `female` → "Féminin", `male` → "Masculin", `unspecified` → "Non spécifié".
pub fn gender(value: &str) -> String {
    match value {
        "female" => "Féminin".into(),
        "male" => "Masculin".into(),
        "unspecified" => "Non spécifié".into(),
        other => other.into(),
    }
}

/// `1981-07-27` → "27 juillet 1981"; presumed dates as FranceConnect carries them: `1980-04-00`
/// → "avril 1980 (jour inconnu)", `1980-00-00` → "1980 (jour et mois inconnus)". Anything else
/// is shown as it came.
pub fn date(value: &str) -> String {
    let parts: Vec<&str> = value.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return value.into();
    };
    let (Ok(m), Ok(d)) = (m.parse::<usize>(), d.parse::<u32>()) else {
        return value.into();
    };
    if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
        return value.into();
    }
    match (m, d) {
        (0, _) => format!("{y} (jour et mois inconnus)"),
        (1..=12, 0) => format!("{} {y} (jour inconnu)", MONTHS[m - 1]),
        (1..=12, 1) => format!("1er {} {y}", MONTHS[m - 1]),
        (1..=12, d) => format!("{d} {} {y}", MONTHS[m - 1]),
        _ => value.into(),
    }
}

/// Seconds since the epoch → "2 décembre 2026 à 17 h 05 (UTC)".
pub fn timestamp(unix_secs: i64) -> String {
    let days = unix_secs.div_euclid(86_400);
    let secs = unix_secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let d = if d == 1 { "1er".into() } else { d.to_string() };
    format!(
        "{d} {} {y} à {} h {:02} (UTC)",
        MONTHS[(m - 1) as usize],
        secs / 3600,
        (secs % 3600) / 60
    )
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A COG country code → "France (99100)"; unknown codes stay codes: "pays 99999".
pub fn country(code: &str) -> String {
    let name = match code {
        "99100" => "France",
        "99109" => "Allemagne",
        "99127" => "Italie",
        "99131" => "Belgique",
        "99132" => "Royaume-Uni",
        "99134" => "Espagne",
        "99139" => "Portugal",
        "99140" => "Suisse",
        "99243" => "Viêt Nam",
        "99350" => "Maroc",
        "99351" => "Tunisie",
        "99352" => "Algérie",
        "99341" => "Sénégal",
        "99404" => "États-Unis",
        _ => return format!("pays {code}"),
    };
    format!("{name} ({code})")
}

/// A COG commune code → "Sarcelles (95277)" for the communes of the demo's people; others stay
/// codes: "commune 12345".
pub fn commune(code: &str) -> String {
    let name = match code {
        "95277" => "Sarcelles",
        "75056" => "Paris",
        "75107" => "Paris 7e arrondissement",
        "75115" => "Paris 15e arrondissement",
        "75117" => "Paris 17e arrondissement",
        "69123" => "Lyon",
        "13055" => "Marseille",
        "31555" => "Toulouse",
        "33063" => "Bordeaux",
        "44109" => "Nantes",
        "59350" => "Lille",
        "35238" => "Rennes",
        "67482" => "Strasbourg",
        "97411" => "Saint-Denis (La Réunion)",
        "2A004" => "Ajaccio",
        "32107" => "Condom",
        "37261" => "Tours",
        "21231" => "Dijon",
        "51454" => "Reims",
        "93066" => "Saint-Denis",
        "" => return "—".into(),
        _ => return format!("commune {code}"),
    };
    format!("{name} ({code})")
}

/// An amount in euros, French style: 42000 → "42 000 €" (narrow no-break space between groups).
pub fn euros(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    let sign = if amount < 0 { "-" } else { "" };
    format!("{sign}{out}\u{a0}€")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_values_read_as_french() {
        assert_eq!(gender("female"), "Féminin");
        assert_eq!(date("1981-07-27"), "27 juillet 1981");
        assert_eq!(date("1990-12-01"), "1er décembre 1990");
        assert_eq!(date("1980-04-00"), "avril 1980 (jour inconnu)");
        assert_eq!(date("1980-00-00"), "1980 (jour et mois inconnus)");
        assert_eq!(date("27/07/1981"), "27/07/1981");
        assert_eq!(country("99100"), "France (99100)");
        assert_eq!(country("99999"), "pays 99999");
        assert_eq!(commune("95277"), "Sarcelles (95277)");
    }

    #[test]
    fn amounts_and_times() {
        assert_eq!(euros(42_000), "42\u{202f}000\u{a0}€");
        assert_eq!(euros(999), "999\u{a0}€");
        assert_eq!(euros(-1_234_567), "-1\u{202f}234\u{202f}567\u{a0}€");
        // 2026-12-02T17:05:00Z
        assert_eq!(timestamp(1_796_231_100), "2 décembre 2026 à 17 h 05 (UTC)");
        assert_eq!(timestamp(0), "1er janvier 1970 à 0 h 00 (UTC)");
    }
}
