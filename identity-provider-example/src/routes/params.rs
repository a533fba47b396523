//! Query strings and form bodies read as raw pairs, so a repeated parameter is noticed (a
//! classic way to smuggle a second `redirect_uri`) and a malformed one becomes our own error
//! instead of the framework's plain-text 400.

pub struct Params(Vec<(String, String)>);

/// The parameter appears more than once.
#[derive(Debug)]
pub struct Repeated(pub String);

impl Params {
    pub fn from_query(query: &str) -> Option<Self> {
        serde_urlencoded::from_str(query).ok().map(Self)
    }

    pub fn from_body(body: &[u8]) -> Option<Self> {
        serde_urlencoded::from_bytes(body).ok().map(Self)
    }

    /// The value of `name`; an empty value counts as absent.
    pub fn single(&self, name: &str) -> Result<Option<&str>, Repeated> {
        let mut values = self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
        match (values.next(), values.next()) {
            (Some(_), Some(_)) => Err(Repeated(name.to_owned())),
            (Some(v), None) if !v.is_empty() => Ok(Some(v.as_str())),
            _ => Ok(None),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_values_repeats_and_empties() {
        let p = Params::from_query("a=1&b=&c=x%20y&a=2").unwrap();
        assert!(p.single("a").is_err());
        assert_eq!(p.single("b").unwrap(), None);
        assert_eq!(p.single("c").unwrap(), Some("x y"));
        assert_eq!(p.single("d").unwrap(), None);
    }
}
