//! Step 6 — "Journal des échanges": every exchange of the journey, in order.
//!
//! FranceConnect expects nothing here: this page exists so that an integrator can *see* the
//! protocol. Each entry is one exchange — the browser redirects (authorize, callback, logout) and
//! the server-to-server calls (discovery and keys, token, userinfo, SP → data provider, and the
//! data provider's own checktoken calls to the hub) — with method, URL, status, duration, headers
//! and bodies, every JWT decoded with the verdict of the check that decided, and each
//! server-to-server call as a `curl` command to replay by hand. FranceConnect's own description
//! of these exchanges:
//! <https://docs.partenaires.franceconnect.gouv.fr/fs/fs-technique/fs-technique-endpoints/>.
//!
//! The steps of the journey contain no journal code. The journal is fed from two places only:
//! - [`Http`], the HTTP client each step uses for its server-to-server calls, records every
//!   exchange exactly as sent and received (and the verdict on each JWT of the hub);
//! - [`record`], one middleware, sees the browser redirects and writes what the request
//!   exchanged into the journal of its session, after the handler ran.
//!
//! Journals live in memory ([`JournalStore`]), bounded in entries and bytes, in two tiers so that
//! journeys that never log in cannot push out the journal of a logged-in user; the session only
//! holds the journal's id. Before an entry is stored the `client_secret` is masked as `********`
//! and every value is cut to a bounded length; tokens are shown (it is a demo), never logged.

mod data_provider;
mod exchange;
mod feed;
mod page;
mod recorder;
mod store;

pub use exchange::{Exchange, JwtView, pretty};
pub use feed::record;
pub use page::{journal_get, journal_json_get};
pub use recorder::{Http, Opened, Recorder};
pub use store::{JournalLimits, JournalStore, MAX_ENTRIES};
