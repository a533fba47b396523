//! Reading one users file (FranceConnect's `database.csv` layouts, see the parent module).
//!
//! The format has one person per line, so the file is cut into lines here and each line is read
//! as one CSV record (quotes still work inside a line): errors then carry the exact line number an
//! editor shows. Every row goes through [`super::row::validate`], the validation the admin API
//! uses too.

use super::row::{self, Cells};
use super::{COLUMNS, MOCK_COLUMNS, Place, REQUIRED, User, UsersError};

/// The people of one file, and what was ignored in it.
#[derive(Debug, Default)]
pub struct ParsedFile {
    pub users: Vec<User>,
    pub notes: Vec<String>,
}

/// Parses one file. `name` only serves error messages and [`Place`]s.
///
/// The format has one person per line, so the file is cut into lines here and each line is
/// read as one CSV record (quotes still work inside a line). This gives the exact line number
/// an editor shows, which the csv reader's own counting does not (it skips blank lines).
pub fn parse_file(name: &str, text: &str) -> Result<ParsedFile, UsersError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // One entry per cell of a row: the column it fills, or `None` for an ignored column.
    let mut header: Vec<Option<&'static str>> = COLUMNS.iter().copied().map(Some).collect();
    let mut positions = Positions::of(&header);
    let mut first_line = true;
    let mut parsed = ParsedFile::default();
    let mut extra_cells_lines = Vec::new();
    let mut lines = LineReader::new();
    for (index, raw) in text.lines().enumerate() {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let place = Place {
            file: name.to_owned(),
            line: index as u64 + 1,
        };
        let record = lines.read(raw).map_err(|e| UsersError::Csv {
            file: place.file.clone(),
            line: place.line,
            problem: csv_problem(&e),
        })?;
        if std::mem::take(&mut first_line) && looks_like_header(record) {
            let (columns, ignored) = parse_header(record, &place)?;
            header = columns;
            positions = Positions::of(&header);
            if !ignored.is_empty() {
                parsed.notes.push(format!(
                    "{name}, line {}: unknown columns ignored: {}",
                    place.line,
                    ignored.join(", ")
                ));
            }
            continue;
        }
        if record.len() > header.len() {
            extra_cells_lines.push(place.line.to_string());
        }
        parsed
            .users
            .push(parse_row(record, &header, &positions, place)?);
    }
    if !extra_cells_lines.is_empty() {
        parsed.notes.push(format!(
            "{name}: cells after column {} ignored on line(s) {}",
            header.len(),
            extra_cells_lines.join(", ")
        ));
    }
    Ok(parsed)
}

/// Reads one line as one CSV record, with a single `csv` reader for the whole file.
///
/// Building a `csv` reader compiles its parsing automaton (`csv_core::ReaderBuilder::build`):
/// done once per line, that was two thirds of the loading time (≈ 40 µs per person). The reader
/// is therefore kept and pointed at each line in turn; as the reader only ever sees one line,
/// quotes, trimming and a stray `\r` behave exactly as with a fresh reader per line.
struct LineReader<'a> {
    reader: csv::Reader<std::io::Cursor<&'a [u8]>>,
    record: csv::StringRecord,
}

impl<'a> LineReader<'a> {
    fn new() -> Self {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(std::io::Cursor::new(&[][..]));
        // Known (empty) headers: the reader then never reads a line ahead to find them.
        reader.set_byte_headers(csv::ByteRecord::new());
        Self {
            reader,
            record: csv::StringRecord::new(),
        }
    }

    /// The record of `line` (empty for a line the csv reader finds no record in).
    fn read(&mut self, line: &'a str) -> Result<&csv::StringRecord, csv::Error> {
        *self.reader.get_mut() = std::io::Cursor::new(line.as_bytes());
        // Drops what the reader still buffers of the previous line and clears its state.
        self.reader
            .seek_raw(std::io::SeekFrom::Start(0), csv::Position::new())?;
        if !self.reader.read_record(&mut self.record)? {
            self.record.clear();
        }
        Ok(&self.record)
    }
}

/// Describes a CSV error without its content (a cell could hold a password).
fn csv_problem(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".into(),
        csv::ErrorKind::Io(e) => e.to_string(),
        _ => "unreadable record".into(),
    }
}

/// The [`COLUMNS`] name a header cell stands for, in either layout.
fn column_for(cell: &str) -> Option<&'static str> {
    COLUMNS
        .iter()
        .copied()
        .find(|c| c.eq_ignore_ascii_case(cell))
        .or_else(|| {
            MOCK_COLUMNS
                .iter()
                .find(|(mock, _)| mock.eq_ignore_ascii_case(cell))
                .map(|(_, column)| *column)
        })
}

/// A first line naming the login or password column, in either layout, is a header. (A person
/// whose login is literally `identifiant` or `login` would be taken for one: nobody is.)
fn looks_like_header(record: &csv::StringRecord) -> bool {
    record.iter().any(|cell| {
        ["identifiant", "motDePasse", "login", "password"]
            .iter()
            .any(|name| name.eq_ignore_ascii_case(cell))
    })
}

/// The columns of a header line, in its order, and the names it ignored.
fn parse_header(
    record: &csv::StringRecord,
    place: &Place,
) -> Result<(Vec<Option<&'static str>>, Vec<String>), UsersError> {
    let error = |column: usize, name: &str, problem: String| UsersError::Row {
        file: place.file.clone(),
        line: place.line,
        column,
        name: name.to_owned(),
        problem,
    };
    let mut header = Vec::with_capacity(record.len());
    let mut ignored = Vec::new();
    for (index, cell) in record.iter().enumerate() {
        let known = column_for(cell);
        if let Some(known) = known
            && header.contains(&Some(known))
        {
            return Err(error(
                index + 1,
                known,
                "column named twice in the header".into(),
            ));
        }
        if known.is_none() {
            ignored.push(format!("{cell:?}"));
        }
        header.push(known);
    }
    if let Some(missing) = REQUIRED.iter().find(|c| !header.contains(&Some(**c))) {
        return Err(error(
            header.len() + 1,
            missing,
            "required column missing from the header".into(),
        ));
    }
    Ok((header, ignored))
}

/// Where each of the [`COLUMNS`] sits in a row (same order as [`COLUMNS`]), computed once per
/// header rather than searched for each cell of each row.
struct Positions([Option<usize>; COLUMNS.len()]);

impl Positions {
    fn of(header: &[Option<&'static str>]) -> Self {
        Self(COLUMNS.map(|name| header.iter().position(|h| *h == Some(name))))
    }

    fn get(&self, name: &str) -> Option<usize> {
        COLUMNS
            .iter()
            .position(|c| *c == name)
            .and_then(|i| self.0.get(i).copied().flatten())
    }
}

fn parse_row(
    record: &csv::StringRecord,
    header: &[Option<&'static str>],
    positions: &Positions,
    place: Place,
) -> Result<User, UsersError> {
    let error = |column: usize, name: &str, problem: String| UsersError::Row {
        file: place.file.clone(),
        line: place.line,
        column,
        name: name.to_owned(),
        problem,
    };
    let found = record.len();
    if found < header.len() {
        let name = header
            .get(found)
            .copied()
            .flatten()
            .unwrap_or("ignored column");
        return Err(error(
            found + 1,
            name,
            format!("missing cell ({found} columns instead of {})", header.len()),
        ));
    }
    // Indexed like COLUMNS: the cell of each column, empty when the header lacks it.
    let cells: Cells<'_> = positions
        .0
        .map(|i| i.and_then(|i| record.get(i)).unwrap_or_default());
    row::validate(&cells, place.clone()).map_err(|p| {
        let column = positions.get(p.column).map_or(0, |i| i + 1);
        error(column, p.column, p.problem)
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const HEADER: &str = "id,identifiant,motDePasse,nomDeNaissance,nomDUsage,prenoms,genre,email,telephone,dateDeNaissance,codePostalLieuDeNaissance,codePaysDeNaissance,adressePays,adresseVille,adresseCodePostal,adresseVoie";

    /// Checks the outcome of any input: people with a login and a password, or an error that
    /// names this file and a line of it.
    fn check_outcome(text: &str, result: Result<ParsedFile, UsersError>) {
        let lines = text.lines().count() as u64;
        match result {
            Ok(parsed) => {
                for user in parsed.users {
                    assert!(!user.identifiant.is_empty() && !user.password().is_empty());
                    assert!(user.place.line >= 1 && user.place.line <= lines);
                }
            }
            Err(UsersError::Row { file, line, .. } | UsersError::Csv { file, line, .. }) => {
                assert_eq!(file, "f.csv");
                assert!(line >= 1 && line <= lines, "line {line} of {lines}");
            }
            Err(other) => panic!("unexpected error kind: {other}"),
        }
    }

    proptest! {
        #[test]
        fn any_text_is_read_or_refused_with_its_line(text in "\\PC{0,400}") {
            check_outcome(&text, parse_file("f.csv", &text));
        }

        #[test]
        fn any_rows_under_a_header_are_read_or_refused_with_their_line(
            rows in prop::collection::vec(
                prop::collection::vec("[^\\n\\r,\"]{0,12}|\"[^\"]{0,8}\"", 0..20),
                0..6,
            )
        ) {
            let mut text = String::from(HEADER);
            for row in &rows {
                text.push('\n');
                text.push_str(&row.join(","));
            }
            check_outcome(&text, parse_file("f.csv", &text));
        }
    }
}
