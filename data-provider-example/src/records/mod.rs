//! The data provider's records and identity reconciliation (the DP's side of FranceConnect's data
//! flow: find the person the hub vouches for, then answer their data).
//!
//! Like the real "API Impôt particulier", the DP does not know the FranceConnect `sub`: it finds
//! the taxpayer from the identité pivot the hub vouches for. Both sides are reduced to a
//! [`MatchKey`] — first given name and birth name upper-cased without accents, birth date (a
//! presumed `00` month or day is a value like any other), title derived from the gender, birth
//! country — and exactly one record must share it. Several records with the same key (a real risk
//! once accents are gone: LEFÈVRE Hélène / LEFEVRE Helene) are refused rather than guessed.
//!
//! Records come from CSV files in two layouts ([`load`]: this demo's own, and FranceConnect's
//! `data-provider-example/database.csv` read unchanged) and from the admin API; all of them go
//! through [`record_from_cells`], the one validation of a record. Records are keyed by SPI (the
//! tax number), unique across files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Number;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

pub mod api;
pub mod load;

/// The columns of this demo's records file, in the order the fixture uses (order is free; names
/// are not). Every record, whatever its source, is first written as these cells.
pub const COLUMNS: [&str; 20] = [
    "spi",
    "nomNaissance",
    "prenom",
    "civilite",
    "anneeNaissance",
    "moisNaissance",
    "jourNaissance",
    "paysNaissance",
    "rfr",
    "nbPart",
    "sitFam",
    "pacTotal",
    "pacEnfants",
    "pacInvalides",
    "pacRattaches",
    "aftComplementAdresse",
    "aftVoie",
    "aftCodePostal",
    "aftCommune",
    "cnamPaiementsIj",
];

/// A record's values, indexed like [`COLUMNS`] (empty when absent).
pub type Cells<'a> = [&'a str; COLUMNS.len()];

/// Longest value of a cell, in characters.
pub const MAX_CELL_CHARS: usize = 1024;

/// Where records added through the admin API come from.
pub const ADMIN_API: &str = "API d'administration";

#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    #[error("cannot read {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: header line: {reason}", .path.display())]
    Header { path: PathBuf, reason: String },
    #[error("{}, line {line}: {reason}", .path.display())]
    Row {
        path: PathBuf,
        line: u64,
        reason: String,
    },
}

/// What is wrong with one value of a record: its column (a [`COLUMNS`] name) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellProblem {
    pub column: &'static str,
    pub problem: String,
}

/// People in charge ("personnes à charge"), total and by kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dependants {
    pub total: Option<u32>,
    pub children: Option<u32>,
    pub disabled: Option<u32>,
    pub attached: Option<u32>,
}

/// Tax address ("adresse fiscale de taxation").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaxAddress {
    pub complement: Option<String>,
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
}

/// One taxpayer.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub spi: String,
    pub birth_name: String,
    pub first_given_name: String,
    /// `M`, `MME` or empty.
    pub title: String,
    pub birth_year: u16,
    pub birth_month: u8,
    pub birth_day: u8,
    pub birth_country: String,
    pub rfr: Option<Number>,
    pub nb_part: Option<Number>,
    pub sit_fam: Option<String>,
    pub dependants: Dependants,
    pub address: TaxAddress,
    pub cnam_paiements_ij: Option<Number>,
    /// Where the record comes from: `file:line`, or [`ADMIN_API`].
    pub source: String,
    key: MatchKey,
}

/// What a record and an identity are compared on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MatchKey {
    pub first_given_name: String,
    pub birth_name: String,
    pub birth_year: u16,
    pub birth_month: u8,
    pub birth_day: u8,
    pub title: String,
    pub birth_country: String,
}

/// The identité pivot as the hub returned it (every claim may be missing).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct PivotIdentity {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub birthdate: Option<String>,
    pub gender: Option<String>,
    pub birthplace: Option<String>,
    pub birthcountry: Option<String>,
}

/// The result of looking an identity up.
#[derive(Debug, PartialEq)]
pub enum Reconciliation<'a> {
    Found(&'a Record),
    NoRecord,
    Several(usize),
    /// The identity cannot be compared (missing claim, malformed birth date, unknown gender).
    Unusable(String),
}

/// A set of records, unique by SPI, indexed by [`MatchKey`].
#[derive(Debug, Clone, Default)]
pub struct Records {
    rows: Vec<Record>,
    by_key: HashMap<MatchKey, Vec<usize>>,
    by_spi: HashMap<String, usize>,
}

impl Records {
    /// The records of one file, in either layout ([`load`]).
    pub fn load(path: &Path) -> Result<Self, RecordsError> {
        Self::load_all(&[path.to_owned()])
    }

    /// The records of several files; an SPI may appear once in all of them.
    pub fn load_all(paths: &[PathBuf]) -> Result<Self, RecordsError> {
        let mut records = Self::default();
        for path in paths {
            let text = std::fs::read(path).map_err(|source| RecordsError::Io {
                path: path.to_owned(),
                source,
            })?;
            load::read(&text, path, &mut records)?;
        }
        Ok(records)
    }

    /// Parses CSV text in either layout; `origin` names the source in errors.
    pub fn from_reader(
        mut reader: impl std::io::Read,
        origin: &Path,
    ) -> Result<Self, RecordsError> {
        let mut text = Vec::new();
        reader
            .read_to_end(&mut text)
            .map_err(|source| RecordsError::Io {
                path: origin.to_owned(),
                source,
            })?;
        let mut records = Self::default();
        load::read(&text, origin, &mut records)?;
        Ok(records)
    }

    /// Adds `record`; refused (with where the SPI already is) when its SPI is taken.
    fn push(&mut self, record: Record) -> Result<(), String> {
        if let Some(&existing) = self.by_spi.get(&record.spi) {
            let source = self.rows.get(existing).map_or("?", |r| r.source.as_str());
            return Err(format!("SPI {} is already used ({source})", record.spi));
        }
        let index = self.rows.len();
        self.by_spi.insert(record.spi.clone(), index);
        self.by_key
            .entry(record.key.clone())
            .or_default()
            .push(index);
        self.rows.push(record);
        Ok(())
    }

    /// A copy with `record` added, or replacing the record with its SPI; and whether it replaced.
    pub fn with(&self, record: Record) -> (Self, bool) {
        let mut rows: Vec<Record> = self.rows.clone();
        let replaced = match rows.iter().position(|r| r.spi == record.spi) {
            Some(index) => {
                if let Some(slot) = rows.get_mut(index) {
                    *slot = record;
                }
                true
            }
            None => {
                rows.push(record);
                false
            }
        };
        (Self::indexed(rows), replaced)
    }

    /// A copy without the record of `spi`, or `None` when there is none.
    pub fn without(&self, spi: &str) -> Option<Self> {
        let index = *self.by_spi.get(spi)?;
        let mut rows = self.rows.clone();
        rows.remove(index);
        Some(Self::indexed(rows))
    }

    /// Records whose SPIs are known to be unique.
    fn indexed(rows: Vec<Record>) -> Self {
        let mut records = Self::default();
        for record in rows {
            // Unique by construction (`with` replaces, `without` removes).
            let _ = records.push(record);
        }
        records
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn get(&self, spi: &str) -> Option<&Record> {
        self.by_spi.get(spi).and_then(|&i| self.rows.get(i))
    }

    /// The records in load order (then added ones).
    pub fn iter(&self) -> impl Iterator<Item = &Record> {
        self.rows.iter()
    }

    /// Finds the one record of `identity`.
    pub fn reconcile(&self, identity: &PivotIdentity) -> Reconciliation<'_> {
        let key = match MatchKey::from_identity(identity) {
            Ok(key) => key,
            Err(reason) => return Reconciliation::Unusable(reason),
        };
        match self.by_key.get(&key).map(Vec::as_slice) {
            None | Some([]) => Reconciliation::NoRecord,
            Some([one]) => self
                .rows
                .get(*one)
                .map_or(Reconciliation::NoRecord, Reconciliation::Found),
            Some(several) => Reconciliation::Several(several.len()),
        }
    }
}

impl MatchKey {
    pub fn from_identity(identity: &PivotIdentity) -> Result<Self, String> {
        let claim = |value: &Option<String>, name: &str| -> Result<String, String> {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| format!("the identity has no {name}"))
        };
        let given_name = claim(&identity.given_name, "given_name")?;
        let family_name = claim(&identity.family_name, "family_name")?;
        let birthdate = claim(&identity.birthdate, "birthdate")?;
        let gender = claim(&identity.gender, "gender")?;
        let birth_country = claim(&identity.birthcountry, "birthcountry")?;
        let (birth_year, birth_month, birth_day) = parse_birthdate(&birthdate)?;
        let title =
            title_from_gender(&gender).ok_or_else(|| format!("unknown gender {gender:?}"))?;
        Ok(Self {
            first_given_name: first_given_name(&given_name),
            birth_name: normalize_name(&family_name),
            birth_year,
            birth_month,
            birth_day,
            title: title.to_owned(),
            birth_country,
        })
    }
}

/// The title a record carries for a FranceConnect gender (`unspecified` → no title).
pub fn title_from_gender(gender: &str) -> Option<&'static str> {
    match gender {
        "female" => Some("MME"),
        "male" => Some("M"),
        "unspecified" => Some(""),
        _ => None,
    }
}

/// The FranceConnect gender of a record's title (the inverse of [`title_from_gender`]).
pub fn gender_from_title(title: &str) -> &'static str {
    match title {
        "MME" => "female",
        "M" => "male",
        _ => "unspecified",
    }
}

/// The first word of `given_name` (all given names, space separated), normalised.
pub fn first_given_name(given_name: &str) -> String {
    normalize_name(given_name.split_whitespace().next().unwrap_or(""))
}

/// Upper case without diacritics, as tax records are written: `Mélaine` → `MELAINE`,
/// `Œdipe` → `OEDIPE`, `Straße` → `STRASSE`. Letters that Unicode does not decompose (Æ, Œ, Ø,
/// Ð, Þ, ß) are spelled out; hyphens and apostrophes are kept (the typographic one becomes `'`)
/// and runs of spaces become one.
pub fn normalize_name(name: &str) -> String {
    let upper: String = name.chars().flat_map(char::to_uppercase).collect();
    let mut out = String::with_capacity(upper.len());
    for c in upper.nfd().filter(|c| !is_combining_mark(*c)) {
        match c {
            'Æ' => out.push_str("AE"),
            'Œ' => out.push_str("OE"),
            'Ø' => out.push('O'),
            'Ð' | 'Đ' => out.push('D'),
            'Þ' => out.push_str("TH"),
            'ẞ' => out.push_str("SS"),
            '’' | 'ʼ' => out.push('\''),
            other => out.push(other),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `YYYY-MM-DD`, where a presumed month or day is `00`.
pub fn parse_birthdate(birthdate: &str) -> Result<(u16, u8, u8), String> {
    let invalid = || format!("invalid birthdate {birthdate:?} (YYYY-MM-DD)");
    let mut parts = birthdate.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
        return Err(invalid());
    }
    let year = y.parse().map_err(|_| invalid())?;
    let month: u8 = m.parse().map_err(|_| invalid())?;
    let day: u8 = d.parse().map_err(|_| invalid())?;
    if month > 12 || day > 31 {
        return Err(invalid());
    }
    Ok((year, month, day))
}

/// Whether `spi` looks like a tax number: 1 to 20 digits (13 at the DGFiP).
pub fn valid_spi(spi: &str) -> bool {
    (1..=20).contains(&spi.len()) && spi.bytes().all(|b| b.is_ascii_digit())
}

/// One row's cells, read by column index with the problem named after the column.
struct Row<'a, 'c>(&'a Cells<'c>);

impl Row<'_, '_> {
    fn problem(&self, i: usize, problem: String) -> CellProblem {
        CellProblem {
            column: COLUMNS.get(i).copied().unwrap_or("?"),
            problem,
        }
    }

    fn cell(&self, i: usize) -> &str {
        self.0.get(i).copied().unwrap_or("")
    }

    fn required(&self, i: usize) -> Result<String, CellProblem> {
        match self.cell(i) {
            "" => Err(self.problem(i, "value required".into())),
            v => Ok(v.to_owned()),
        }
    }

    fn optional(&self, i: usize) -> Option<String> {
        Some(self.cell(i).to_owned()).filter(|v| !v.is_empty())
    }

    /// An optional value parsed as `T`; `what` names the expected kind in the error.
    fn parsed<T: std::str::FromStr>(&self, i: usize, what: &str) -> Result<Option<T>, CellProblem> {
        match self.cell(i) {
            "" => Ok(None),
            v => v
                .parse::<T>()
                .map(Some)
                .map_err(|_| self.problem(i, format!("{v:?} is not {what}"))),
        }
    }

    /// A required number of at most `len` digits and at most `max`.
    fn ranged(&self, i: usize, len: usize, max: u16) -> Result<u16, CellProblem> {
        let v = self.cell(i);
        match v.parse::<u16>() {
            Ok(n) if v.len() <= len && n <= max => Ok(n),
            _ => Err(self.problem(i, format!("{v:?} is out of range"))),
        }
    }

    fn small(&self, i: usize, max: u16) -> Result<u8, CellProblem> {
        u8::try_from(self.ranged(i, 2, max)?).map_err(|e| self.problem(i, e.to_string()))
    }
}

/// The one validation of a record, whatever its source (either CSV layout, the admin API).
pub fn record_from_cells(cells: &Cells<'_>, source: String) -> Result<Record, CellProblem> {
    let row = Row(cells);
    if let Some(i) = cells
        .iter()
        .position(|c| c.chars().count() > MAX_CELL_CHARS)
    {
        return Err(row.problem(i, "value longer than 1024 characters".into()));
    }
    let mut record = identity_columns(&row, source)?;
    record.rfr = row.parsed(8, "a number")?;
    record.nb_part = row.parsed(9, "a number")?;
    record.sit_fam = row.optional(10);
    record.dependants = Dependants {
        total: row.parsed(11, "a count")?,
        children: row.parsed(12, "a count")?,
        disabled: row.parsed(13, "a count")?,
        attached: row.parsed(14, "a count")?,
    };
    record.address = TaxAddress {
        complement: row.optional(15),
        street: row.optional(16),
        postal_code: row.optional(17),
        city: row.optional(18),
    };
    record.cnam_paiements_ij = row.parsed(19, "a number")?;
    Ok(record)
}

/// The columns the identity pivot matches on (SPI to birth country), and a record holding only
/// them.
fn identity_columns(row: &Row<'_, '_>, source: String) -> Result<Record, CellProblem> {
    let spi = row.required(0)?;
    if !valid_spi(&spi) {
        return Err(row.problem(0, "an SPI is 1 to 20 digits".into()));
    }
    let birth_name = row.required(1)?;
    let first_given_name = row.required(2)?;
    let title = row.cell(3).to_owned();
    if !matches!(title.as_str(), "M" | "MME" | "") {
        return Err(row.problem(3, format!("{title:?} is not M, MME or empty")));
    }
    let birth_year = row.ranged(4, 4, 9999)?;
    let birth_month = row.small(5, 12)?;
    let birth_day = row.small(6, 31)?;
    let birth_country = row.required(7)?;
    if birth_country.len() != 5 || !birth_country.bytes().all(|b| b.is_ascii_digit()) {
        return Err(row.problem(7, format!("{birth_country:?} is not a 5-digit COG code")));
    }
    let key = MatchKey {
        // `prenom` should hold one given name; taking its first word keeps both sides symmetric.
        first_given_name: self::first_given_name(&first_given_name),
        birth_name: normalize_name(&birth_name),
        birth_year,
        birth_month,
        birth_day,
        title: title.clone(),
        birth_country: birth_country.clone(),
    };
    Ok(Record {
        spi,
        birth_name,
        first_given_name,
        title,
        birth_year,
        birth_month,
        birth_day,
        birth_country,
        rfr: None,
        nb_part: None,
        sit_fam: None,
        dependants: Dependants::default(),
        address: TaxAddress::default(),
        cnam_paiements_ij: None,
        source,
        key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> Records {
        Records::load(&fc_plumbing::fixture_path("dp/dgfip.csv")).unwrap()
    }

    fn identity(
        given: &str,
        family: &str,
        birthdate: &str,
        gender: &str,
        country: &str,
    ) -> PivotIdentity {
        PivotIdentity {
            given_name: Some(given.to_owned()),
            family_name: Some(family.to_owned()),
            birthdate: Some(birthdate.to_owned()),
            gender: Some(gender.to_owned()),
            birthplace: Some(String::new()),
            birthcountry: Some(country.to_owned()),
        }
    }

    fn melaine() -> PivotIdentity {
        identity("Mélaine Évelyne", "TROIS", "1981-07-27", "female", "99100")
    }

    #[test]
    fn accents_are_stripped_over_the_whole_latin1_range() {
        // Every letter of U+00C0..=U+00FF (× and ÷ are not letters) becomes plain ASCII capitals.
        for c in ('\u{C0}'..='\u{FF}').filter(|c| !matches!(c, '×' | '÷')) {
            let out = normalize_name(&c.to_string());
            assert!(
                !out.is_empty() && out.bytes().all(|b| b.is_ascii_uppercase()),
                "{c:?} gave {out:?}"
            );
        }
        let cases = [
            ("Œdipe", "OEDIPE"),
            ("cœur", "COEUR"),
            ("Æsa", "AESA"),
            ("Lætitia", "LAETITIA"),
            ("Straße", "STRASSE"),
            ("Ÿvette", "YVETTE"),
            ("ÿ", "Y"),
            ("François", "FRANCOIS"),
            ("Ñuñez", "NUNEZ"),
            ("Øystein", "OYSTEIN"),
            ("Åse", "ASE"),
            ("Ðora", "DORA"),
            ("Þór", "THOR"),
            ("àáâãäå", "AAAAAA"),
            ("èéêë ìíîï", "EEEE IIII"),
            ("òóôõö ùúûü ýÿ", "OOOOO UUUU YY"),
            ("Hélène", "HELENE"),
            ("LEFÈVRE", "LEFEVRE"),
            ("DUBINÔRE", "DUBINORE"),
            ("Aïcha", "AICHA"),
            ("MÜLLER", "MULLER"),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize_name(input), expected, "{input}");
        }
    }

    #[test]
    fn hyphens_apostrophes_and_spaces_are_kept_in_a_canonical_form() {
        assert_eq!(normalize_name("d’Artagnan"), "D'ARTAGNAN");
        assert_eq!(
            normalize_name("  Anne-Sophie   Marie "),
            "ANNE-SOPHIE MARIE"
        );
        assert_eq!(
            first_given_name("Anne-Sophie Marie Éléonore"),
            "ANNE-SOPHIE"
        );
        assert_eq!(first_given_name("Mélaine Évelyne"), "MELAINE");
    }

    #[test]
    fn the_fixture_loads() {
        let records = fixture();
        assert!(records.len() >= 10);
    }

    #[test]
    fn melaine_has_exactly_one_record() {
        let records = fixture();
        let Reconciliation::Found(record) = records.reconcile(&melaine()) else {
            panic!("no single record for Mélaine");
        };
        assert_eq!(record.spi, "3999999999999");
        assert_eq!(record.rfr, Some(Number::from(42000)));
    }

    #[test]
    fn each_part_of_the_key_matters() {
        let records = fixture();
        let changed = [
            identity("Mélanie", "TROIS", "1981-07-27", "female", "99100"),
            identity("Mélaine", "QUATRE", "1981-07-27", "female", "99100"),
            identity("Mélaine", "TROIS", "1981-07-28", "female", "99100"),
            identity("Mélaine", "TROIS", "1981-07-27", "male", "99100"),
            identity("Mélaine", "TROIS", "1981-07-27", "female", "99109"),
        ];
        for id in &changed {
            assert_eq!(records.reconcile(id), Reconciliation::NoRecord, "{id:?}");
        }
    }

    #[test]
    fn the_civil_status_edge_cases_of_the_idp_fixtures_are_found() {
        // (given names, birth name, birthdate, gender, birth country) as the IdP sends them.
        let records = fixture();
        let people = [
            (
                "Lucie Andrée",
                "GARNIER",
                "1975-03-00",
                "female",
                "99100",
                "15000000000015",
            ),
            (
                "Océane",
                "PAYET",
                "2001-02-14",
                "female",
                "99100",
                "16000000000016",
            ),
            (
                "Ange-Marie Dominique",
                "CASANOVA",
                "1968-09-09",
                "male",
                "99100",
                "17000000000017",
            ),
            (
                "Karim",
                "HADDAD",
                "1958-10-01",
                "male",
                "99352",
                "18000000000018",
            ),
            (
                "Bénédicte Ægidia",
                "CŒUR",
                "1949-01-31",
                "female",
                "99100",
                "20000000000020",
            ),
            (
                "Jean-Baptiste Louis Marie Joseph",
                "DE LA FONTAINE",
                "1938-05-05",
                "male",
                "99100",
                "21000000000021",
            ),
            (
                "Yseult",
                "MOREAU",
                "1984-02-29",
                "female",
                "99100",
                "23000000000023",
            ),
            ("Ly", "LY", "1979-06-06", "male", "99243", "24000000000024"),
            (
                "Inès Marguerite",
                "FONTAINE-ROUX",
                "1996-10-12",
                "female",
                "99100",
                "26000000000026",
            ),
            (
                "Émilie Jeanne",
                "ROUSSEAU",
                "1991-05-21",
                "female",
                "99100",
                "30000000000030",
            ),
            (
                "Angela Claire Louise",
                "DUBOIS",
                "1962-08-24",
                "female",
                "99100",
                "1234567890123",
            ),
            (
                "Anne-Sophie Marie Éléonore",
                "D'ARTAGNAN",
                "1990-12-31",
                "female",
                "99100",
                "8000000000008",
            ),
        ];
        for (given, family, birthdate, gender, country, spi) in people {
            match records.reconcile(&identity(given, family, birthdate, gender, country)) {
                Reconciliation::Found(record) => assert_eq!(record.spi, spi, "{family}"),
                other => panic!("{given} {family}: {other:?}"),
            }
        }
    }

    #[test]
    fn people_deliberately_without_a_record_are_not_found() {
        let records = fixture();
        let nobody = [
            ("Naël", "N'DIAYE", "2015-11-30", "male", "99100"),
            ("Théo", "BLANC", "1995-07-14", "male", "99100"),
            ("Toussaint", "PANNE", "1980-01-01", "male", "99100"),
        ];
        for (given, family, birthdate, gender, country) in nobody {
            assert_eq!(
                records.reconcile(&identity(given, family, birthdate, gender, country)),
                Reconciliation::NoRecord,
                "{family}"
            );
        }
    }

    #[test]
    fn nobody_without_a_record_is_found() {
        let noel = identity("Gaspard", "NOEL", "1999-12-25", "male", "99100");
        assert_eq!(fixture().reconcile(&noel), Reconciliation::NoRecord);
    }

    #[test]
    fn people_who_collide_after_accent_stripping_are_refused() {
        let records = fixture();
        let with_accents = identity("Hélène", "LEFÈVRE", "1975-04-18", "female", "99100");
        let without = identity("Helene", "LEFEVRE", "1975-04-18", "female", "99100");
        assert_eq!(records.reconcile(&with_accents), Reconciliation::Several(2));
        assert_eq!(records.reconcile(&without), Reconciliation::Several(2));
    }

    #[test]
    fn title_comes_from_the_gender() {
        assert_eq!(title_from_gender("female"), Some("MME"));
        assert_eq!(title_from_gender("male"), Some("M"));
        assert_eq!(title_from_gender("unspecified"), Some(""));
        assert_eq!(title_from_gender("other"), None);
        let records = fixture();
        // Camille has no title in the file: found only as `unspecified`.
        let camille = |g: &str| identity("Camille", "BERNARD", "1993-06-21", g, "99100");
        assert!(matches!(
            records.reconcile(&camille("unspecified")),
            Reconciliation::Found(_)
        ));
        assert_eq!(
            records.reconcile(&camille("female")),
            Reconciliation::NoRecord
        );
        assert!(matches!(
            records.reconcile(&camille("x")),
            Reconciliation::Unusable(_)
        ));
    }

    #[test]
    fn presumed_birthdates_match_zero_month_and_day() {
        let records = fixture();
        let aicha = identity("Aïcha", "BENALI", "1980-00-00", "female", "99350");
        let Reconciliation::Found(record) = records.reconcile(&aicha) else {
            panic!("Aïcha not found");
        };
        assert_eq!((record.birth_month, record.birth_day), (0, 0));
        let precise = identity("Aïcha", "BENALI", "1980-01-01", "female", "99350");
        assert_eq!(records.reconcile(&precise), Reconciliation::NoRecord);
    }

    #[test]
    fn incomplete_or_malformed_identities_are_unusable() {
        let records = fixture();
        let mut missing = melaine();
        missing.birthcountry = None;
        assert!(matches!(
            records.reconcile(&missing),
            Reconciliation::Unusable(_)
        ));
        for bad in [
            "1981-7-27",
            "1981-07-27-01",
            "27/07/1981",
            "1981-13-01",
            "1981-07-32",
            "",
        ] {
            let mut id = melaine();
            id.birthdate = Some(bad.to_owned());
            assert!(
                matches!(records.reconcile(&id), Reconciliation::Unusable(_)),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_bad_row_names_the_file_and_line() {
        let header = COLUMNS.join(",");
        let good = "1,DUPONT,JEAN,M,1970,01,15,99100,100,1,C,0,0,0,0,,1 RUE,75001,PARIS,";
        let bad = "2,DUPONT,JEAN,M,1970,13,15,99100,100,1,C,0,0,0,0,,1 RUE,75001,PARIS,";
        let csv = format!("# comment\n{header}\n{good}\n# another\n{bad}\n");
        let err = Records::from_reader(csv.as_bytes(), Path::new("people.csv")).unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("people.csv, line 5:"), "{message}");
        assert!(message.contains("moisNaissance"), "{message}");

        let not_a_number = good.replace(",100,1,", ",10 000,1,");
        let csv = format!("{header}\n{not_a_number}\n");
        let err = Records::from_reader(csv.as_bytes(), Path::new("p.csv")).unwrap_err();
        assert!(
            err.to_string().contains("p.csv, line 2: column rfr"),
            "{err}"
        );

        let short = "3,DUPONT,JEAN";
        let csv = format!("{header}\n{short}\n");
        let err = Records::from_reader(csv.as_bytes(), Path::new("p.csv")).unwrap_err();
        assert!(err.to_string().contains("p.csv, line 2"), "{err}");

        let err = Records::from_reader("spi,nom\n".as_bytes(), Path::new("p.csv")).unwrap_err();
        assert!(
            err.to_string().contains("missing column \"nomNaissance\""),
            "{err}"
        );
    }
}
