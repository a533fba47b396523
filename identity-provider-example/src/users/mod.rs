//! The test people of the IdP, read from CSV files, and the claims they give.
//!
//! The format is FranceConnect's `identity-provider-example/database.csv`, so its files (and the
//! header-less partner files of its `data/` folder) drop in unchanged. Every `*.csv` file of the
//! users folder(s) is read in file-name order into one `HashMap` keyed by `identifiant`
//! ([`crate::reload`] reads the folders again when a file changes). Choices made where
//! FranceConnect's files leave room:
//! - two layouts are recognised from the header line: FranceConnect's `database.csv` one
//!   ([`COLUMNS`]) and the one of FranceConnect's current mock IdP
//!   (`login,password,family_name,…`, see [`MOCK_COLUMNS`]); names are compared after trimming and
//!   ignoring ASCII case, the columns may come in any order and the two naming schemes may even be
//!   mixed. A file without a header uses the [`COLUMNS`] order;
//! - unknown header columns are ignored (noted in the log), and so are cells beyond the last
//!   column (a trailing comma, a partner's extra column); a missing *required* column
//!   ([`REQUIRED`]) or a column named twice is an error, and so is a row with fewer cells than
//!   columns, because the cells after a missing one would land in the wrong claims;
//! - identity values are not validated (an empty family name, a birth country that is not a COG
//!   code…): FranceConnect's own files hold such people on purpose, to see the hub refuse them.
//!   An empty login or password, a control character in a login and an over-long value are errors
//!   ([`row::validate`], the one validation the admin API uses too);
//! - one person per line (as in FranceConnect's files): blank lines are skipped, and so are lines
//!   starting with `#`, even after spaces;
//! - errors name the file, line and column but never echo a cell (it could be a password).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use fc_plumbing::Secret;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

mod csv;
pub mod row;

pub use csv::{ParsedFile, parse_file};

/// The columns of `database.csv`, in FranceConnect's order (also the order of header-less files).
pub const COLUMNS: [&str; 16] = [
    "id",
    "identifiant",
    "motDePasse",
    "nomDeNaissance",
    "nomDUsage",
    "prenoms",
    "genre",
    "email",
    "telephone",
    "dateDeNaissance",
    "codePostalLieuDeNaissance",
    "codePaysDeNaissance",
    "adressePays",
    "adresseVille",
    "adresseCodePostal",
    "adresseVoie",
];

/// The column names of FranceConnect's current mock IdP, and the [`COLUMNS`] name each stands
/// for. Its files have no `id`: the sub is then the hex SHA-256 of the login, as that mock does.
pub const MOCK_COLUMNS: [(&str, &str); 15] = [
    ("login", "identifiant"),
    ("password", "motDePasse"),
    ("family_name", "nomDeNaissance"),
    ("preferred_username", "nomDUsage"),
    ("given_name", "prenoms"),
    ("gender", "genre"),
    ("email", "email"),
    ("phone_number", "telephone"),
    ("birthdate", "dateDeNaissance"),
    ("birthplace", "codePostalLieuDeNaissance"),
    ("birthcountry", "codePaysDeNaissance"),
    ("country", "adressePays"),
    ("locality", "adresseVille"),
    ("postal_code", "adresseCodePostal"),
    ("street_address", "adresseVoie"),
];

/// Columns a header must name: the login, the password and the identité pivot (the birthplace
/// excepted, as people born abroad have none). The others default to empty cells.
pub const REQUIRED: [&str; 7] = [
    "identifiant",
    "motDePasse",
    "nomDeNaissance",
    "prenoms",
    "genre",
    "dateDeNaissance",
    "codePaysDeNaissance",
];

/// Where a row was read: file name and 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub file: String,
    pub line: u64,
}

/// The `file` of people added through the admin API (their `line` is 0).
pub const ADMIN_API: &str = "API d'administration";

impl Place {
    /// Where a person added through the admin API comes from.
    pub fn admin_api() -> Self {
        Self {
            file: ADMIN_API.to_owned(),
            line: 0,
        }
    }

    pub fn is_admin_api(&self) -> bool {
        self.line == 0 && self.file == ADMIN_API
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_admin_api() {
            return f.write_str(ADMIN_API);
        }
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One test person. The password is a [`Secret`]: a stray log line of a person cannot leak it.
#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub identifiant: String,
    password: Secret,
    pub nom_de_naissance: String,
    pub nom_d_usage: String,
    pub prenoms: String,
    pub genre: String,
    pub email: String,
    pub telephone: String,
    pub date_de_naissance: String,
    pub code_postal_lieu_de_naissance: String,
    pub code_pays_de_naissance: String,
    pub adresse_pays: String,
    pub adresse_ville: String,
    pub adresse_code_postal: String,
    pub adresse_voie: String,
    pub place: Place,
}

/// Claims a scope releases at `/userinfo`: the OIDC standard scopes plus FranceConnect's `birth`,
/// `identite_pivot` and one-claim scopes (`given_name`, `birthplace`…).
const SCOPE_CLAIMS: &[(&str, &[&str])] = &[
    (
        "profile",
        &[
            "given_name",
            "family_name",
            "preferred_username",
            "birthdate",
            "gender",
        ],
    ),
    ("birth", &["birthplace", "birthcountry"]),
    (
        "identite_pivot",
        &[
            "given_name",
            "family_name",
            "birthdate",
            "gender",
            "birthplace",
            "birthcountry",
        ],
    ),
    ("email", &["email"]),
    ("phone", &["phone_number"]),
    ("address", &["address"]),
    ("given_name", &["given_name"]),
    ("family_name", &["family_name"]),
    ("preferred_username", &["preferred_username"]),
    ("birthdate", &["birthdate"]),
    ("gender", &["gender"]),
    ("birthplace", &["birthplace"]),
    ("birthcountry", &["birthcountry"]),
];

/// Every scope the IdP knows (published in its discovery document).
pub fn supported_scopes() -> Vec<&'static str> {
    let mut scopes = vec!["openid"];
    scopes.extend(SCOPE_CLAIMS.iter().map(|(scope, _)| *scope));
    scopes
}

impl User {
    /// The subject identifier: the `id` column, or the hex SHA-256 of `identifiant` when empty
    /// (a stable value for files without ids).
    pub fn sub(&self) -> String {
        if self.id.is_empty() {
            hex::encode(Sha256::digest(self.identifiant.as_bytes()))
        } else {
            self.id.clone()
        }
    }

    /// "Prénoms NOM", as shown on the test accounts page.
    pub fn display_name(&self) -> String {
        format!("{} {}", self.prenoms, self.nom_de_naissance)
            .trim()
            .to_owned()
    }

    /// The password in clear, for the test accounts page only (these people are fictitious).
    pub fn password(&self) -> &str {
        self.password.expose()
    }

    /// Constant-time password check (the passwords are in clear: this is a demo).
    pub fn password_matches(&self, candidate: &str) -> bool {
        self.password.matches(candidate)
    }

    /// Every claim of this person; empty cells are left out.
    pub fn all_claims(&self) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("sub".into(), json!(self.sub()));
        let simple = [
            ("given_name", &self.prenoms),
            ("family_name", &self.nom_de_naissance),
            ("preferred_username", &self.nom_d_usage),
            ("birthdate", &self.date_de_naissance),
            ("gender", &self.genre),
            ("birthplace", &self.code_postal_lieu_de_naissance),
            ("birthcountry", &self.code_pays_de_naissance),
            ("email", &self.email),
            ("phone_number", &self.telephone),
        ];
        for (name, value) in simple {
            if !value.is_empty() {
                claims.insert(name.into(), json!(value));
            }
        }
        if let Some(address) = self.address() {
            claims.insert("address".into(), address);
        }
        claims
    }

    /// The claims the space-separated `scope` grants (always `sub`).
    pub fn claims_for_scope(&self, scope: &str) -> Map<String, Value> {
        claims_for_scope(&self.all_claims(), scope)
    }

    /// A copy of what a login needs, taken when the user logs in: a reload of the users folder
    /// between the login and the token call must not change or lose the person.
    pub fn person(&self) -> Person {
        Person {
            identifiant: self.identifiant.clone(),
            sub: self.sub(),
            display_name: self.display_name(),
            claims: self.all_claims(),
        }
    }

    /// The OIDC `address` object, or `None` when every address cell is empty.
    fn address(&self) -> Option<Value> {
        let mut address = Map::new();
        let parts = [
            ("street_address", &self.adresse_voie),
            ("postal_code", &self.adresse_code_postal),
            ("locality", &self.adresse_ville),
            ("country", &self.adresse_pays),
        ];
        for (name, value) in parts {
            if !value.is_empty() {
                address.insert(name.into(), json!(value));
            }
        }
        if address.is_empty() {
            return None;
        }
        let town = format!("{} {}", self.adresse_code_postal, self.adresse_ville);
        let formatted: Vec<&str> = [self.adresse_voie.as_str(), town.trim(), &self.adresse_pays]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        address.insert("formatted".into(), json!(formatted.join(", ")));
        Some(Value::Object(address))
    }
}

/// The claims `scope` grants among `claims` (always `sub`).
pub fn claims_for_scope(claims: &Map<String, Value>, scope: &str) -> Map<String, Value> {
    let granted: Vec<&str> = scope
        .split_ascii_whitespace()
        .flat_map(|s| {
            SCOPE_CLAIMS
                .iter()
                .filter(move |(name, _)| *name == s)
                .flat_map(|(_, claims)| claims.iter().copied())
        })
        .collect();
    claims
        .iter()
        .filter(|(name, _)| *name == "sub" || granted.contains(&name.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Who logged in: a person of the CSV files or a one-off custom identity.
#[derive(Debug, Clone)]
pub struct Person {
    /// The login typed in the form (`identité personnalisée` for a custom identity).
    pub identifiant: String,
    pub sub: String,
    /// "Prénoms NOM", for the IdP's own pages.
    pub display_name: String,
    /// Every claim, `sub` included; empty values are left out.
    pub claims: Map<String, Value>,
}

/// The fields of the "custom identity" form, as typed.
#[derive(Debug, Clone, Default)]
pub struct CustomIdentity {
    pub given_name: String,
    pub family_name: String,
    pub preferred_username: String,
    pub gender: String,
    pub birthdate: String,
    pub birthplace: String,
    pub birthcountry: String,
    pub email: String,
}

/// The login shown for a custom identity.
pub const CUSTOM_LOGIN: &str = "identité personnalisée";

impl CustomIdentity {
    /// Each claim name with its typed value.
    pub fn fields(&self) -> [(&'static str, &String); 8] {
        [
            ("given_name", &self.given_name),
            ("family_name", &self.family_name),
            ("preferred_username", &self.preferred_username),
            ("gender", &self.gender),
            ("birthdate", &self.birthdate),
            ("birthplace", &self.birthplace),
            ("birthcountry", &self.birthcountry),
            ("email", &self.email),
        ]
    }

    /// The one-off person. Values are not validated (seeing the hub refuse a bad identity is the
    /// point of the form); the sub is the hex SHA-256 of the pivot fields, so typing the same
    /// identity again gives the same sub, as for a real account.
    pub fn person(&self) -> Person {
        let fields = self.fields();
        let mut hasher = Sha256::new();
        hasher.update(b"custom-identity");
        for (_, value) in &fields {
            hasher.update([0]);
            hasher.update(value.trim().as_bytes());
        }
        let sub = hex::encode(hasher.finalize());
        let mut claims = Map::new();
        claims.insert("sub".into(), json!(sub));
        for (name, value) in fields {
            let value = value.trim();
            if !value.is_empty() {
                claims.insert(name.into(), json!(value));
            }
        }
        let display_name = format!("{} {}", self.given_name.trim(), self.family_name.trim())
            .trim()
            .to_owned();
        Person {
            identifiant: CUSTOM_LOGIN.to_owned(),
            sub,
            display_name,
            claims,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    #[error("cannot read the users folder {dir}: {source}")]
    Folder {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no *.csv file in the users folder {0}")]
    NoFiles(PathBuf),
    #[error("cannot read {file} (it must be UTF-8 text): {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}, line {line}: not valid CSV ({problem})")]
    Csv {
        file: String,
        line: u64,
        problem: String,
    },
    #[error("{file}, line {line}, column {column} ({name}): {problem}")]
    Row {
        file: String,
        line: u64,
        column: usize,
        name: String,
        problem: String,
    },
}

/// A login met twice: the first one loaded is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub identifiant: String,
    pub kept: Place,
    pub ignored: Place,
}

/// Every test person, by `identifiant`, plus the load order for the accounts page.
#[derive(Debug, Default)]
pub struct UserDirectory {
    by_login: HashMap<String, User>,
    order: Vec<String>,
    duplicates: Vec<Duplicate>,
    notes: Vec<String>,
}

/// Reads every `*.csv` file of `dirs` as `(name, text)`: each folder's files in file-name order,
/// the folders in the given order. Names are the file names for the first folder and
/// `folder/file` for the others, so that messages say where a row came from.
pub fn read_files(dirs: &[PathBuf]) -> Result<Vec<(String, String)>, UsersError> {
    let mut files = Vec::new();
    for (index, dir) in dirs.iter().enumerate() {
        let folder_error = |source| UsersError::Folder {
            dir: dir.to_owned(),
            source,
        };
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(folder_error)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(folder_error)?
            .into_iter()
            .map(|entry| entry.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "csv"))
            .collect();
        paths.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
        for path in paths {
            let file_name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let name = if index == 0 {
                file_name
            } else {
                format!("{}/{file_name}", dir.display())
            };
            let text = std::fs::read_to_string(&path).map_err(|source| UsersError::Read {
                file: name.clone(),
                source,
            })?;
            files.push((name, text));
        }
    }
    if files.is_empty() {
        return Err(UsersError::NoFiles(
            dirs.first().cloned().unwrap_or_default(),
        ));
    }
    Ok(files)
}

impl UserDirectory {
    /// Loads every `*.csv` file of `dir`, in file-name order.
    pub fn load(dir: &Path) -> Result<Self, UsersError> {
        Self::load_dirs(&[dir.to_owned()])
    }

    /// Loads every `*.csv` file of `dirs` (see [`read_files`]) and logs the warnings.
    pub fn load_dirs(dirs: &[PathBuf]) -> Result<Self, UsersError> {
        let directory = Self::from_files(&read_files(dirs)?)?;
        directory.log_warnings();
        Ok(directory)
    }

    /// Logs the duplicates and the ignored columns met while loading.
    pub fn log_warnings(&self) {
        for d in &self.duplicates {
            tracing::warn!(
                identifiant = %d.identifiant,
                kept = %d.kept,
                ignored = %d.ignored,
                "duplicate identifiant: the first one is kept"
            );
        }
        for note in &self.notes {
            tracing::warn!("{note}");
        }
    }

    /// Builds the directory from `(file name, content)` pairs, in the given order.
    pub fn from_files(files: &[(String, String)]) -> Result<Self, UsersError> {
        let mut directory = Self::default();
        for (name, text) in files {
            let parsed = parse_file(name, text)?;
            directory.notes.extend(parsed.notes);
            for user in parsed.users {
                directory.add(user);
            }
        }
        Ok(directory)
    }

    /// The people added through the admin API, then those of `files`: an added person wins over
    /// a file row with the same login (the row is reported as a duplicate).
    pub fn merged(added: &[User], files: &UserDirectory) -> Self {
        let mut directory = Self {
            notes: files.notes.clone(),
            ..Self::default()
        };
        for user in added.iter().chain(files.iter()) {
            directory.add(user.clone());
        }
        directory
            .duplicates
            .extend(files.duplicates.iter().cloned());
        directory
    }

    /// Adds `user` unless its login is taken (the first one stays; the other is a duplicate).
    fn add(&mut self, user: User) {
        match self.by_login.get(&user.identifiant) {
            Some(first) => self.duplicates.push(Duplicate {
                identifiant: user.identifiant.clone(),
                kept: first.place.clone(),
                ignored: user.place.clone(),
            }),
            None => {
                self.order.push(user.identifiant.clone());
                self.by_login.insert(user.identifiant.clone(), user);
            }
        }
    }

    pub fn get(&self, identifiant: &str) -> Option<&User> {
        self.by_login.get(identifiant)
    }

    /// The person with this login and password. Unknown login and wrong password are the
    /// same `None`, so callers cannot tell them apart.
    pub fn authenticate(&self, identifiant: &str, password: &str) -> Option<&User> {
        self.get(identifiant)
            .filter(|user| user.password_matches(password))
    }

    /// The people in load order.
    pub fn iter(&self) -> impl Iterator<Item = &User> {
        self.order
            .iter()
            .filter_map(|login| self.by_login.get(login))
    }

    pub fn len(&self) -> usize {
        self.by_login.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_login.is_empty()
    }

    /// The duplicated logins met while loading (also logged as warnings by [`Self::load`]).
    pub fn duplicates(&self) -> &[Duplicate] {
        &self.duplicates
    }

    /// Ignored columns and cells met while loading (also logged by [`Self::load`]).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "id,identifiant,motDePasse,nomDeNaissance,nomDUsage,prenoms,genre,email,telephone,dateDeNaissance,codePostalLieuDeNaissance,codePaysDeNaissance,adressePays,adresseVille,adresseCodePostal,adresseVoie";
    const MELAINE: &str = "3,3_melaine,123,TROIS,TROIS,Mélaine Évelyne,female,wossewodda-3728@yopmail.com,0123456789,1981-07-27,95277,99100,France,Sarcelles,95200,12 rue de la République";
    const ABROAD: &str = ",5_pierre,s3cr3t-pw,MÜLLER,,Pierre,male,,,1985-03-02,,99109,,,,";

    fn one(name: &str, text: &str) -> Result<UserDirectory, UsersError> {
        UserDirectory::from_files(&[(name.to_owned(), text.to_owned())])
    }

    /// One csv reader serves every line of a file: nothing of a line may leak into the next
    /// (a cell after a stray carriage return, an unclosed quote), and quotes still work.
    #[test]
    fn each_line_is_read_on_its_own() {
        let text = format!(
            "{HEADER}\n{MELAINE}\rleak,leak\n\
             7,\"7_quote\",123,\"DE \"\"LA\"\", ROCHE\",,Anne,female,,,1990-01-01,,99100,,,,\n\
             8,8_unclosed,123,HUIT,,\"Huit,male,,,1990-01-01,,99100,,,,\n\
             9,9_after,123,NEUF,,Neuf,male,,,1990-01-01,,99100,,,,\n"
        );
        let error = one("a.csv", &text).unwrap_err().to_string();
        assert!(error.contains("a.csv, line 4"), "{error}");
        let text = text.replace("8,8_unclosed", "# 8,8_unclosed");
        let users = one("a.csv", &text).unwrap();
        assert_eq!(users.len(), 3);
        assert!(users.get("leak").is_none());
        assert_eq!(
            users.get("3_melaine").unwrap().adresse_voie,
            "12 rue de la République"
        );
        assert_eq!(
            users.get("7_quote").unwrap().nom_de_naissance,
            "DE \"LA\", ROCHE"
        );
        let after = users.get("9_after").unwrap();
        assert_eq!((after.id.as_str(), after.prenoms.as_str()), ("9", "Neuf"));
        assert_eq!(after.place.line, 5);
    }

    #[test]
    fn a_file_with_its_header_loads_every_column() {
        let users = one("a.csv", &format!("{HEADER}\n{MELAINE}\n{ABROAD}\n")).unwrap();
        assert_eq!(users.len(), 2);
        let melaine = users.authenticate("3_melaine", "123").unwrap();
        assert_eq!(melaine.sub(), "3");
        assert_eq!(melaine.prenoms, "Mélaine Évelyne");
        assert_eq!(melaine.adresse_voie, "12 rue de la République");
        assert_eq!(melaine.place.to_string(), "a.csv:2");
        let claims = melaine.all_claims();
        assert_eq!(claims["family_name"], "TROIS");
        assert_eq!(claims["birthplace"], "95277");
        assert_eq!(claims["address"]["postal_code"], "95200");
        assert_eq!(
            claims["address"]["formatted"],
            "12 rue de la République, 95200 Sarcelles, France"
        );
    }

    #[test]
    fn empty_cells_are_left_out_and_an_empty_id_gives_a_hashed_sub() {
        let users = one("a.csv", &format!("{HEADER}\n{ABROAD}\n")).unwrap();
        let pierre = users.get("5_pierre").unwrap();
        assert_eq!(
            pierre.sub(),
            hex::encode(Sha256::digest(b"5_pierre")),
            "sub = hex SHA-256 of identifiant"
        );
        let claims = pierre.all_claims();
        for absent in [
            "preferred_username",
            "email",
            "phone_number",
            "birthplace",
            "address",
        ] {
            assert!(!claims.contains_key(absent), "{absent} should be absent");
        }
        assert_eq!(claims["birthcountry"], "99109");
    }

    #[test]
    fn claims_follow_the_granted_scopes() {
        let users = one("a.csv", &format!("{HEADER}\n{MELAINE}\n")).unwrap();
        let melaine = users.get("3_melaine").unwrap();
        let claims = melaine.claims_for_scope("openid profile email birth");
        let mut names: Vec<&str> = claims.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "birthcountry",
                "birthdate",
                "birthplace",
                "email",
                "family_name",
                "gender",
                "given_name",
                "preferred_username",
                "sub"
            ]
        );
        let only_sub = melaine.claims_for_scope("openid");
        assert_eq!(only_sub.keys().collect::<Vec<_>>(), ["sub"]);
        assert!(
            melaine
                .claims_for_scope("openid address")
                .contains_key("address")
        );
    }

    #[test]
    fn a_headerless_file_uses_the_standard_column_order() {
        let users = one("partner.csv", &format!("{MELAINE}\n{ABROAD}")).unwrap();
        assert_eq!(users.len(), 2);
        let melaine = users.get("3_melaine").unwrap();
        assert_eq!(melaine.nom_de_naissance, "TROIS");
        assert_eq!(melaine.place.line, 1);
    }

    #[test]
    fn bom_crlf_padded_cells_and_comments_are_accepted() {
        let padded_header = HEADER.replace(',', " , ");
        let text = format!(
            "\u{feff}# a comment, with a comma\r\n{padded_header}\r\n\r\n  # an indented comment\r\n 3 , 3_melaine , 123 , TROIS , TROIS , Mélaine Évelyne , female , m@example.test , , 1981-07-27 , 95277 , 99100 , France , Sarcelles , 95200 , 12 rue de la République \r\n"
        );
        let users = one("bom.csv", &text).unwrap();
        let melaine = users.authenticate("3_melaine", "123").unwrap();
        assert_eq!(melaine.prenoms, "Mélaine Évelyne");
        assert_eq!(melaine.id, "3");
        assert_eq!(melaine.adresse_voie, "12 rue de la République");
        assert!(melaine.telephone.is_empty());
        assert_eq!(melaine.place.line, 5);
    }

    #[test]
    fn a_header_may_list_the_columns_in_another_order() {
        let text = "identifiant,id,motDePasse,nomDeNaissance,nomDUsage,prenoms,genre,email,telephone,dateDeNaissance,codePostalLieuDeNaissance,codePaysDeNaissance,adressePays,adresseVille,adresseCodePostal,adresseVoie\nx_login,42,pw,NOM,,Prénom,male,,,2000-01-01,,99100,,,,\n";
        let users = one("swapped.csv", text).unwrap();
        assert_eq!(users.get("x_login").unwrap().sub(), "42");
    }

    #[test]
    fn a_malformed_row_names_its_file_line_and_column_but_not_the_password() {
        let short_row = "7,7_leo,tr0ub4dor,PETIT,,Léo,male";
        let err = one(
            "bad.csv",
            &format!("{HEADER}\n{MELAINE}\n# comment\n{short_row}\n"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("bad.csv"), "{err}");
        assert!(err.contains("line 4"), "{err}");
        assert!(err.contains("column 8 (email)"), "{err}");
        assert!(!err.contains("tr0ub4dor"), "{err}");

        let no_login = ",,hunter2-pw,NOM,,Prénom,male,,,2000-01-01,,99100,,,,";
        let err = one("bad.csv", &format!("{HEADER}\n{no_login}\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2, column 2 (identifiant)"), "{err}");
        assert!(!err.contains("hunter2-pw"), "{err}");

        let missing_with_header = "7,7_leo,tr0ub4dor,PETIT,,Léo,male,,,2000-01-01,,99100,,,";
        let err = one("bad.csv", &format!("{HEADER}\n{missing_with_header}\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2, column 16 (adresseVoie)"), "{err}");
    }

    #[test]
    fn an_empty_password_or_login_is_refused_with_its_file_and_line() {
        let no_password = "7,7_leo,,PETIT,,Léo,male,,,2000-01-01,,99100,,,,";
        let err = one("bad.csv", &format!("{HEADER}\n{MELAINE}\n{no_password}\n"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("bad.csv, line 3, column 3 (motDePasse)"),
            "{err}"
        );
        assert!(err.contains("empty password"), "{err}");
        // Header-less partner files too, and an empty login.
        let err = one("partner.csv", &format!("{MELAINE}\n{no_password}\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("partner.csv, line 2, column 3"), "{err}");
        let no_login = "7,,pw,PETIT,,Léo,male,,,2000-01-01,,99100,,,,";
        let err = one("bad.csv", &format!("{HEADER}\n{no_login}\n"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 2, column 2 (identifiant): empty login"),
            "{err}"
        );
        // The mock layout names the password column `password`: same rule, its own position.
        let mock = "login,password,family_name,given_name,gender,birthdate,birthcountry\nx,,N,P,male,2000-01-01,99100\n";
        let err = one("mock.csv", mock).unwrap_err().to_string();
        assert!(
            err.contains("mock.csv, line 2, column 2 (motDePasse)"),
            "{err}"
        );
    }

    #[test]
    fn an_overlong_value_is_refused_with_its_column() {
        let long = MELAINE.replace("Sarcelles", &"S".repeat(1025));
        let err = one("a.csv", &long).unwrap_err().to_string();
        assert!(err.contains("line 1, column 14 (adresseVille)"), "{err}");
    }

    #[test]
    fn added_people_come_first_and_win_over_file_rows() {
        let files = one("a.csv", &format!("{HEADER}\n{MELAINE}\n{ABROAD}\n")).unwrap();
        let mut added = files.get("3_melaine").unwrap().clone();
        added.place = Place::admin_api();
        added.nom_de_naissance = "AJOUTEE".into();
        let merged = UserDirectory::merged(&[added], &files);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged.get("3_melaine").unwrap().nom_de_naissance, "AJOUTEE");
        assert_eq!(merged.iter().next().unwrap().place.to_string(), ADMIN_API);
        assert_eq!(merged.duplicates()[0].ignored.to_string(), "a.csv:2");
    }

    #[test]
    fn cells_beyond_the_last_column_are_ignored_and_noted() {
        let users = one("extra.csv", &format!("{MELAINE},extra,\n{ABROAD}\n")).unwrap();
        assert_eq!(
            users.get("3_melaine").unwrap().adresse_voie,
            "12 rue de la République"
        );
        assert_eq!(users.notes().len(), 1);
        assert!(
            users.notes()[0].contains("extra.csv"),
            "{:?}",
            users.notes()
        );
        assert!(
            users.notes()[0].contains("line(s) 1"),
            "{:?}",
            users.notes()
        );
    }

    #[test]
    fn unknown_header_columns_are_ignored_and_optional_ones_may_be_missing() {
        let text = "commentaire, identifiant , motDePasse,nomDeNaissance,prenoms,genre,dateDeNaissance,codePaysDeNaissance,EMAIL\n\
                    une note,x_login,pw,NOM,Prénom,male,2000-01-01,99109,x@example.test\n";
        let users = one("partial.csv", text).unwrap();
        let user = users.authenticate("x_login", "pw").unwrap();
        assert_eq!(
            user.email, "x@example.test",
            "header names ignore ASCII case"
        );
        assert!(user.code_postal_lieu_de_naissance.is_empty());
        assert_eq!(user.sub(), hex::encode(Sha256::digest(b"x_login")));
        assert!(
            users.notes()[0].contains("\"commentaire\""),
            "{:?}",
            users.notes()
        );
    }

    #[test]
    fn a_missing_required_column_is_an_error() {
        let text = HEADER.replace(",genre,", ",sexe,");
        let err = one("h.csv", &format!("{text}\n{MELAINE}\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("h.csv, line 1"), "{err}");
        assert!(err.contains("(genre): required column missing"), "{err}");
        let twice = format!("{HEADER},email");
        let err = one("h.csv", &twice).unwrap_err().to_string();
        assert!(
            err.contains("column 17 (email): column named twice"),
            "{err}"
        );
    }

    #[test]
    fn the_layout_of_franceconnects_mock_idp_is_detected_from_its_header() {
        let text = "login,password,family_name,preferred_username,given_name,gender,email,phone_number,birthdate,birthplace,birthcountry,country,locality,postal_code,street_address\n\
                    test,123,DUBOIS,,Angela Claire Louise,female,a@example.test,123456789,1962-08-24,75107,99100,France,Paris,75107,20 avenue de Ségur\n";
        let users = one("mock.csv", text).unwrap();
        let angela = users.authenticate("test", "123").unwrap();
        assert_eq!(angela.sub(), hex::encode(Sha256::digest(b"test")));
        let claims = angela.all_claims();
        assert_eq!(claims["family_name"], "DUBOIS");
        assert_eq!(claims["given_name"], "Angela Claire Louise");
        assert_eq!(claims["birthplace"], "75107");
        assert_eq!(claims["phone_number"], "123456789");
        assert_eq!(claims["address"]["street_address"], "20 avenue de Ségur");
        assert_eq!(claims["address"]["locality"], "Paris");
        assert!(!claims.contains_key("preferred_username"));
    }

    #[test]
    fn franceconnect_style_files_load_unchanged() {
        // Mimics FranceConnect's database.csv (header, CRLF, BOM) and a data/*.csv partner file
        // (no header, padded cells, a duplicate of a database.csv login, an empty family name).
        // The real files were not available offline.
        let database = format!(
            "\u{feff}{HEADER}\r\n{MELAINE}\r\n1,1_angela,123,DUBOIS,,Angela Claire Louise,female,wossewodda-3728@yopmail.com,0123456789,1962-08-24,75107,99100,France,Paris,75107,20 avenue de Ségur\r\n"
        );
        let partner = "3 , 3_melaine , 999 , AUTRE , , Autre , female , , , 1990-01-01 , 75056 , 99100 , , , ,\n\
                       42,tatiana_no_family_name,123,,,Tatiana,female,t@example.test,,1987-01-09,75115,99100,,,,\n";
        let users = UserDirectory::from_files(&[
            ("database.csv".to_owned(), database),
            ("DGFiP-database.csv".to_owned(), partner.to_owned()),
        ])
        .unwrap();
        assert_eq!(users.len(), 3);
        assert!(users.authenticate("3_melaine", "123").is_some());
        assert_eq!(users.duplicates().len(), 1);
        assert_eq!(
            users.duplicates()[0].ignored.to_string(),
            "DGFiP-database.csv:1"
        );
        let tatiana = users.get("tatiana_no_family_name").unwrap();
        assert!(!tatiana.all_claims().contains_key("family_name"));
    }

    #[test]
    fn a_broken_header_is_an_error() {
        let err = one("h.csv", "id,identifiant,motDePasse\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("h.csv, line 1"), "{err}");
        assert!(err.contains("nomDeNaissance"), "{err}");
    }

    #[test]
    fn a_duplicate_login_keeps_the_first_and_reports_both_places() {
        let other = MELAINE.replace(",123,TROIS,", ",456,AUTRE,");
        let users = UserDirectory::from_files(&[
            (
                "a.csv".to_owned(),
                format!("{HEADER}\n{ABROAD}\n{MELAINE}\n"),
            ),
            ("b.csv".to_owned(), format!("{other}\n")),
        ])
        .unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(users.get("3_melaine").unwrap().nom_de_naissance, "TROIS");
        assert!(users.authenticate("3_melaine", "456").is_none());
        assert_eq!(
            users.duplicates(),
            [Duplicate {
                identifiant: "3_melaine".into(),
                kept: Place {
                    file: "a.csv".into(),
                    line: 3
                },
                ignored: Place {
                    file: "b.csv".into(),
                    line: 1
                },
            }]
        );
    }

    #[test]
    fn unknown_login_and_wrong_password_look_the_same() {
        let users = one("a.csv", MELAINE).unwrap();
        assert!(users.authenticate("3_melaine", "123").is_some());
        assert!(users.authenticate("3_melaine", "1234").is_none());
        assert!(users.authenticate("nobody", "123").is_none());
    }

    #[test]
    fn the_debug_output_hides_the_password() {
        let users = one("a.csv", ABROAD).unwrap();
        let debug = format!("{:?}", users.get("5_pierre").unwrap());
        assert!(!debug.contains("s3cr3t-pw"), "{debug}");
    }

    #[test]
    fn the_fixture_folder_loads_and_holds_3_melaine() {
        let users = UserDirectory::load(&fc_plumbing::fixture_path("idp/users")).unwrap();
        let melaine = users.authenticate("3_melaine", "123").unwrap();
        assert_eq!(melaine.nom_de_naissance, "TROIS");
        assert_eq!(melaine.prenoms, "Mélaine Évelyne");
        assert_eq!(melaine.genre, "female");
        assert_eq!(melaine.date_de_naissance, "1981-07-27");
        assert_eq!(melaine.code_postal_lieu_de_naissance, "95277");
        assert_eq!(melaine.code_pays_de_naissance, "99100");
        assert!(users.len() >= 30, "{}", users.len());
        assert!(users.duplicates().is_empty(), "{:?}", users.duplicates());
        // Both layouts and the header-less partner file are in the fixtures.
        assert_eq!(
            users.get("test").unwrap().sub(),
            hex::encode(Sha256::digest(b"test"))
        );
        assert_eq!(
            users.get("30_emilie_partenaire").unwrap().prenoms,
            "Émilie Jeanne"
        );
        assert!(users.notes().is_empty(), "{:?}", users.notes());
    }

    #[test]
    fn a_custom_identity_leaves_empty_fields_out_and_has_a_stable_sub() {
        let identity = CustomIdentity {
            given_name: " Jeanne ".into(),
            family_name: "ESSAI".into(),
            gender: "female".into(),
            birthdate: "2000-00-00".into(),
            birthcountry: "99100".into(),
            ..CustomIdentity::default()
        };
        let person = identity.person();
        assert_eq!(person.display_name, "Jeanne ESSAI");
        assert_eq!(person.claims["given_name"], "Jeanne");
        assert!(!person.claims.contains_key("email"));
        assert!(!person.claims.contains_key("birthplace"));
        assert_eq!(person.claims["sub"], person.sub.as_str());
        assert_eq!(identity.person().sub, person.sub);
        let other = CustomIdentity {
            email: "j@example.test".into(),
            ..identity
        };
        assert_ne!(other.person().sub, person.sub);
    }

    #[test]
    fn a_folder_without_csv_files_is_an_error() {
        let err = UserDirectory::load(Path::new("src")).unwrap_err();
        assert!(matches!(err, UsersError::NoFiles(_)), "{err}");
    }
}
