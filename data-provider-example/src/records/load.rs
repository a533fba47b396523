//! Reading a records file, in either of two layouts told apart by the header line:
//!
//! - this demo's own (`fixtures/dp/dgfip.csv`): the [`COLUMNS`] names, `#` comment lines;
//! - FranceConnect's `data-provider-example/database.csv`, read unchanged: header cells and
//!   values space-padded, `null` (any case) for an empty value, its own column names (`SPI`,
//!   `nomDeNaissance`, `prenom`, `titre`, `AAAA`/`MM`/`JJ`, `codePaysDeNaissance`,
//!   `revenuFiscalDeReference`, `nombreDeParts`, `situationDeFamille`,
//!   `nombreDePersonnesACharge[F|H|R|J|N|P]`, `adresseFiscaleDeTaxation…`,
//!   `paiementsIndemnitesJournalieresVersesParAssuranceMaladie`, and columns this DP does not
//!   answer: birth département and commune, the declarants' names…). See [`FRANCECONNECT`] for
//!   how each becomes ours; its file writes the postal code and the town in one cell
//!   (`13016 MARSEILLE`) and leaves the town column empty: such a cell is split.
//!
//! Either way a row becomes the [`COLUMNS`] cells and goes through [`record_from_cells`]; a bad row
//! stops the load with the file, the line an editor shows, and the column under its file's name.

use std::path::Path;

use super::{COLUMNS, Cells, Record, Records, RecordsError, record_from_cells};

/// FranceConnect's column for each of ours; `pacRattaches` is the sum of the `J` (adult children)
/// and `N` (married children) counts, see [`ATTACHED`]. Other columns of its file are ignored.
pub const FRANCECONNECT: [(&str, &str); 18] = [
    ("spi", "SPI"),
    ("nomNaissance", "nomDeNaissance"),
    ("prenom", "prenom"),
    ("civilite", "titre"),
    ("anneeNaissance", "AAAA"),
    ("moisNaissance", "MM"),
    ("jourNaissance", "JJ"),
    ("paysNaissance", "codePaysDeNaissance"),
    ("rfr", "revenuFiscalDeReference"),
    ("nbPart", "nombreDeParts"),
    ("sitFam", "situationDeFamille"),
    ("pacTotal", "nombreDePersonnesACharge"),
    ("pacEnfants", "nombreDePersonnesAChargeF"),
    ("pacInvalides", "nombreDePersonnesAChargeR"),
    (
        "aftComplementAdresse",
        "adresseFiscaleDeTaxationComplementAdresse",
    ),
    ("aftVoie", "adresseFiscaleDeTaxationVoie"),
    ("aftCodePostal", "adresseFiscaleDeTaxationCodePostal"),
    ("aftCommune", "adresseFiscaleDeTaxationCommune"),
];
/// The columns whose sum is `pacRattaches`.
pub const ATTACHED: [&str; 2] = ["nombreDePersonnesAChargeJ", "nombreDePersonnesAChargeN"];
/// The columns FranceConnect's file must have: the identity the DP matches on.
const FRANCECONNECT_REQUIRED: [&str; 8] = [
    "SPI",
    "nomDeNaissance",
    "prenom",
    "titre",
    "AAAA",
    "MM",
    "JJ",
    "codePaysDeNaissance",
];
/// FranceConnect's name of the CNAM column (beyond [`FRANCECONNECT`] for line length's sake).
const FRANCECONNECT_CNAM: &str = "paiementsIndemnitesJournalieresVersesParAssuranceMaladie";

/// Where each of our columns sits in a row.
enum Layout {
    Own([usize; COLUMNS.len()]),
    /// Positions of FranceConnect's columns (in [`FRANCECONNECT`] order, then CNAM), and of
    /// [`ATTACHED`].
    FranceConnect {
        positions: Vec<Option<usize>>,
        attached: [Option<usize>; 2],
    },
}

impl Layout {
    fn of(header: &csv::StringRecord) -> Result<Self, String> {
        let position = |name: &str| header.iter().position(|h| h == name);
        if position("nomDeNaissance").is_some() {
            if let Some(missing) = FRANCECONNECT_REQUIRED
                .iter()
                .find(|c| position(c).is_none())
            {
                return Err(format!(
                    "FranceConnect's layout without its column {missing:?}"
                ));
            }
            let mut positions: Vec<Option<usize>> =
                FRANCECONNECT.iter().map(|(_, fc)| position(fc)).collect();
            positions.push(position(FRANCECONNECT_CNAM));
            let attached = ATTACHED.map(position);
            return Ok(Self::FranceConnect {
                positions,
                attached,
            });
        }
        if position("spi").is_none() {
            return Err(
                "unknown layout: expected this demo's columns (spi, nomNaissance, …) \
                        or FranceConnect's (SPI, nomDeNaissance, …)"
                    .into(),
            );
        }
        let mut index = [0usize; COLUMNS.len()];
        for (slot, name) in index.iter_mut().zip(COLUMNS) {
            *slot = position(name).ok_or_else(|| format!("missing column {name:?}"))?;
        }
        Ok(Self::Own(index))
    }

    /// The [`COLUMNS`] cells of `row`.
    fn cells(&self, row: &csv::StringRecord) -> [String; COLUMNS.len()] {
        let get = |i: Option<usize>| i.and_then(|i| row.get(i)).map_or("", without_null);
        match self {
            Self::Own(index) => index.map(|i| row.get(i).unwrap_or("").to_owned()),
            Self::FranceConnect {
                positions,
                attached,
            } => {
                let fc = |ours: &str| {
                    let at = match ours {
                        "cnamPaiementsIj" => positions.last().copied().flatten(),
                        _ => FRANCECONNECT
                            .iter()
                            .position(|(o, _)| *o == ours)
                            .and_then(|i| positions.get(i).copied().flatten()),
                    };
                    get(at).to_owned()
                };
                let mut cells = COLUMNS.map(fc);
                if let Some(slot) = cells.get_mut(14) {
                    *slot = sum_of(attached.map(get));
                }
                split_postal_code(&mut cells);
                cells
            }
        }
    }

    /// How the file names our column `column`.
    fn name(&self, column: &'static str) -> String {
        match self {
            Self::Own(_) => column.to_owned(),
            Self::FranceConnect { .. } => match column {
                "pacRattaches" => ATTACHED.join(" + "),
                "cnamPaiementsIj" => FRANCECONNECT_CNAM.to_owned(),
                _ => FRANCECONNECT
                    .iter()
                    .find(|(ours, _)| *ours == column)
                    .map_or(column, |(_, fc)| fc)
                    .to_owned(),
            },
        }
    }
}

/// A cell of FranceConnect's file: `null` (any case) is an empty value.
fn without_null(cell: &str) -> &str {
    if cell.eq_ignore_ascii_case("null") {
        ""
    } else {
        cell
    }
}

/// The sum of counts, empty when all are empty; a value that is not a count is kept as it is, so
/// the validation names it.
fn sum_of(cells: [&str; 2]) -> String {
    let given: Vec<&str> = cells.into_iter().filter(|c| !c.is_empty()).collect();
    if given.is_empty() {
        return String::new();
    }
    let mut total = 0u32;
    for cell in &given {
        match cell.parse::<u32>() {
            Ok(n) => total = total.saturating_add(n),
            Err(_) => return (*cell).to_owned(),
        }
    }
    total.to_string()
}

/// `13016 MARSEILLE` in the postal code cell and an empty town: postal code and town.
fn split_postal_code(cells: &mut [String; COLUMNS.len()]) {
    let (Some(postal), Some(town)) = (cells.get(17), cells.get(18)) else {
        return;
    };
    if !town.is_empty() {
        return;
    }
    let Some((code, rest)) = postal.split_once(' ') else {
        return;
    };
    if code.len() == 5 && code.bytes().all(|b| b.is_ascii_digit()) {
        let (code, rest) = (code.to_owned(), rest.trim().to_owned());
        cells[17] = code;
        cells[18] = rest;
    }
}

/// Reads `text` (a whole file) into `records`; `origin` names the file in errors and sources.
pub(super) fn read(text: &[u8], origin: &Path, records: &mut Records) -> Result<(), RecordsError> {
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let name = origin.file_name().map_or_else(
        || origin.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let row_error = |line: u64, reason: String| RecordsError::Row {
        path: origin.to_owned(),
        line,
        reason,
    };
    let mut csv = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .has_headers(true)
        .from_reader(text);
    let header_error = |reason: String| RecordsError::Header {
        path: origin.to_owned(),
        reason,
    };
    let headers = csv
        .headers()
        .map_err(|e| header_error(csv_problem(&e)))?
        .clone();
    let layout = Layout::of(&headers).map_err(header_error)?;
    for row in csv.records() {
        let row = row.map_err(|e| row_error(line_at(text, e.position()), csv_problem(&e)))?;
        let line = line_at(text, row.position());
        let cells = layout.cells(&row);
        let cells: Cells<'_> = std::array::from_fn(|i| cells.get(i).map_or("", String::as_str));
        let record: Record = record_from_cells(&cells, format!("{name}:{line}")).map_err(|p| {
            row_error(
                line,
                format!("column {}: {}", layout.name(p.column), p.problem),
            )
        })?;
        records
            .push(record)
            .map_err(|reason| row_error(line, reason))?;
    }
    Ok(())
}

/// Describes a CSV error without echoing the file's content.
fn csv_problem(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".into(),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} cells where the header has {expected_len}"),
        csv::ErrorKind::Io(e) => e.to_string(),
        _ => "unreadable CSV".into(),
    }
}

/// The line an editor shows for a record starting at `position`: the csv reader's own line
/// numbers skip `#` comment lines, so lines are counted from the byte offset, past the comment and
/// blank lines that precede the record.
fn line_at(text: &[u8], position: Option<&csv::Position>) -> u64 {
    let offset = position.map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
    let before = text.get(..offset).unwrap_or(text);
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count() as u64;
    let after = text.get(offset..).unwrap_or_default();
    let skipped = after
        .split(|&b| b == b'\n')
        .take_while(|l| l.first() == Some(&b'#') || l.iter().all(u8::is_ascii_whitespace))
        .count() as u64;
    line + skipped
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Number;

    use super::*;
    use crate::records::{PivotIdentity, Reconciliation};

    fn franceconnect_fixture() -> Records {
        Records::load(&fc_plumbing::fixture_path("dp/franceconnect/database.csv")).unwrap()
    }

    fn identity(given: &str, family: &str, birthdate: &str, gender: &str) -> PivotIdentity {
        PivotIdentity {
            given_name: Some(given.into()),
            family_name: Some(family.into()),
            birthdate: Some(birthdate.into()),
            gender: Some(gender.into()),
            birthplace: None,
            birthcountry: Some("99100".into()),
        }
    }

    #[test]
    fn franceconnects_file_is_read_unchanged() {
        let records = franceconnect_fixture();
        assert_eq!(records.len(), 6);
        // `testfc1` of FranceConnect's IdP database.csv: Stéphane Louis Perceval DUPONT.
        let stephane = identity("Stéphane Louis Perceval", "DUPONT", "1962-08-24", "male");
        let Reconciliation::Found(record) = records.reconcile(&stephane) else {
            panic!("testfc1 has no single record");
        };
        assert_eq!(record.spi, "3999999000101");
        assert_eq!(record.rfr, Some(Number::from(21480)));
        assert_eq!(record.nb_part, "2.5".parse().ok());
        assert_eq!(record.sit_fam.as_deref(), Some("M"));
        assert_eq!(record.dependants.total, Some(1));
        assert_eq!(record.dependants.children, Some(1));
        assert_eq!(record.dependants.disabled, None, "null");
        assert_eq!(record.dependants.attached, None, "null + null");
        assert_eq!(record.address.complement.as_deref(), Some("Appartement 4"));
        assert_eq!(record.address.street.as_deref(), Some("10 RUE DES ESSAIS"));
        assert_eq!(record.address.postal_code.as_deref(), Some("75012"));
        assert_eq!(record.address.city.as_deref(), Some("PARIS"));
        assert_eq!(record.cnam_paiements_ij, Some(Number::from(3275)));
        assert_eq!(record.source, "database.csv:2");
    }

    #[test]
    fn nulls_padding_and_both_ways_of_writing_the_town_are_understood() {
        let records = franceconnect_fixture();
        let melaine = identity("Mélaine Évelyne", "TROIS", "1981-07-27", "female");
        let Reconciliation::Found(record) = records.reconcile(&melaine) else {
            panic!("3_melaine has no single record");
        };
        assert_eq!(record.rfr, None, "Null");
        assert_eq!(record.dependants.attached, Some(3), "J 2 + N 1");
        assert_eq!(record.address.postal_code.as_deref(), Some("95200"));
        assert_eq!(record.address.city.as_deref(), Some("SARCELLES"));
        assert_eq!(record.address.street.as_deref(), Some("42 RUE DE L'ÉGLISE"));
        // Two MARTIN Marie born the same day: refused rather than guessed.
        let marie = identity("Marie", "MARTIN", "1970-08-16", "female");
        assert_eq!(records.reconcile(&marie), Reconciliation::Several(2));
    }

    #[test]
    fn a_bad_row_of_franceconnects_layout_names_its_line_and_column() {
        let path = fc_plumbing::fixture_path("dp/franceconnect/database.csv");
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        lines[2] = lines[2].replacen(",07,", ",13,", 1);
        let err = Records::from_reader(lines.join("\n").as_bytes(), Path::new("database.csv"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("database.csv, line 3: column MM:"), "{err}");

        let mut short = text.lines().map(str::to_owned).collect::<Vec<_>>();
        short[4] = "3999999000104,DUPONT".into();
        let err = Records::from_reader(short.join("\n").as_bytes(), Path::new("database.csv"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("database.csv, line 5:"), "{err}");

        let no_title = text.replacen("titre", "title", 1);
        let err = Records::from_reader(no_title.as_bytes(), Path::new("database.csv"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"titre\""), "{err}");
    }

    #[test]
    fn an_spi_is_unique_across_files() {
        let ours = fc_plumbing::fixture_path("dp/dgfip.csv");
        let theirs = fc_plumbing::fixture_path("dp/franceconnect/database.csv");
        let both = Records::load_all(&[ours.clone(), theirs]).unwrap();
        assert_eq!(both.len(), Records::load(&ours).unwrap().len() + 6);
        let err = Records::load_all(&[ours.clone(), ours])
            .unwrap_err()
            .to_string();
        assert!(err.contains("is already used (dgfip.csv:"), "{err}");
    }

    #[test]
    fn attached_and_postal_cells_are_combined_as_documented() {
        assert_eq!(sum_of(["", ""]), "");
        assert_eq!(sum_of(["2", ""]), "2");
        assert_eq!(sum_of(["2", "1"]), "3");
        assert_eq!(sum_of(["x", "1"]), "x");
        let mut cells: [String; COLUMNS.len()] = Default::default();
        cells[17] = "13016 MARSEILLE 16E".into();
        split_postal_code(&mut cells);
        assert_eq!(
            (cells[17].as_str(), cells[18].as_str()),
            ("13016", "MARSEILLE 16E")
        );
        cells[17] = "CEDEX 9".into();
        cells[18] = String::new();
        split_postal_code(&mut cells);
        assert_eq!((cells[17].as_str(), cells[18].as_str()), ("CEDEX 9", ""));
    }

    proptest! {
        /// Any text, in either layout: records, or an error naming the file and a line of it.
        #[test]
        fn any_file_is_read_or_refused_with_its_line(
            franceconnect in any::<bool>(),
            rows in prop::collection::vec(
                prop::collection::vec("[^\\n\\r,\"]{0,10}|null|\"[^\"]{0,6}\"|[0-9]{1,5}", 0..36),
                0..6,
            ),
            junk in "\\PC{0,60}",
        ) {
            let header = if franceconnect {
                let mut names: Vec<&str> = FRANCECONNECT.iter().map(|(_, fc)| *fc).collect();
                names.extend(ATTACHED);
                names.push(FRANCECONNECT_CNAM);
                names.join(" , ")
            } else {
                COLUMNS.join(",")
            };
            let mut text = header;
            for row in &rows {
                text.push('\n');
                text.push_str(&row.join(","));
            }
            text.push('\n');
            text.push_str(&junk);
            let lines = text.lines().count() as u64;
            match Records::from_reader(text.as_bytes(), Path::new("f.csv")) {
                Ok(records) => prop_assert!(records.len() <= rows.len() + 1),
                Err(RecordsError::Row { line, .. }) => {
                    prop_assert!(line >= 2 && line <= lines + 1, "line {} of {}", line, lines);
                }
                Err(other) => prop_assert!(false, "unexpected error: {}", other),
            }
        }
    }
}
