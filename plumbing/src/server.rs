//! The HTTP server's own limits, the same four on every program: listen backlog, worker threads,
//! how long a client may take to send its request, and how long an idle keep-alive connection is
//! kept. The defaults are actix-web's (FranceConnect's programs are the demo's reference, and these
//! served them), so a program started without the flags behaves as before; a burst of thousands of
//! browsers needs a larger backlog and a longer request timeout (`BENCHMARKS.md`, "10 000 at
//! once"). Each program exposes them as flags and environment variables with its own prefix
//! through [`server_flags!`](crate::server_flags).

use std::fmt;
use std::net::TcpListener;
use std::time::Duration;

use actix_service::{IntoServiceFactory, Service, ServiceFactory};
use actix_web::body::MessageBody;
use actix_web::dev::AppConfig;
use actix_web::{Error, HttpServer};

/// actix-web's listen backlog.
pub const DEFAULT_BACKLOG: u32 = 2048;
/// actix-web's `client_request_timeout`: the request head must arrive within this.
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 5;
/// actix-web's keep-alive: an idle connection is closed after this.
pub const DEFAULT_KEEP_ALIVE_SECS: u64 = 5;
/// actix-web's `max_connections`, per worker.
pub const DEFAULT_MAX_CONNECTIONS: usize = 25_000;

/// The server limits of one program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerSettings {
    /// Connections the kernel queues before the program accepts them (capped by
    /// `net.core.somaxconn`).
    pub backlog: u32,
    /// Worker threads; `None`: one per physical core (actix-web's choice).
    pub workers: Option<usize>,
    /// Time a client has to send the head of its request (0: no limit).
    pub request_timeout: Duration,
    /// Time an idle keep-alive connection stays open (0: no keep-alive).
    pub keep_alive: Duration,
    /// Connections served at once by each worker; more wait in the backlog.
    pub max_connections: usize,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            backlog: DEFAULT_BACKLOG,
            workers: None,
            request_timeout: Duration::from_secs(DEFAULT_REQUEST_TIMEOUT_SECS),
            keep_alive: Duration::from_secs(DEFAULT_KEEP_ALIVE_SECS),
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

impl fmt::Display for ServerSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let workers = self
            .workers
            .map_or_else(|| "one per core".to_owned(), |n| n.to_string());
        write!(
            f,
            "backlog {}, workers {workers}, request timeout {} s, keep-alive {} s, \
             max connections {} per worker",
            self.backlog,
            self.request_timeout.as_secs(),
            self.keep_alive.as_secs(),
            self.max_connections
        )
    }
}

impl ServerSettings {
    /// Applies the backlog to an already bound `listener` (listening again on a listening socket
    /// only changes its queue length) and the other limits to `server`; call before
    /// `HttpServer::listen`.
    pub fn apply<F, I, S, B>(
        &self,
        server: HttpServer<F, I, S, B>,
        listener: &TcpListener,
    ) -> std::io::Result<HttpServer<F, I, S, B>>
    where
        F: Fn() -> I + Send + Clone + 'static,
        I: IntoServiceFactory<S, actix_http::Request>,
        S: ServiceFactory<actix_http::Request, Config = AppConfig> + 'static,
        S::Error: Into<Error> + 'static,
        S::InitError: fmt::Debug,
        S::Response: Into<actix_http::Response<B>> + 'static,
        <S::Service as Service<actix_http::Request>>::Future: 'static,
        S::Service: 'static,
        B: MessageBody + 'static,
    {
        let backlog = i32::try_from(self.backlog).unwrap_or(i32::MAX);
        socket2::SockRef::from(listener).listen(backlog)?;
        let server = server
            .backlog(self.backlog)
            .max_connections(self.max_connections.max(1))
            .client_request_timeout(self.request_timeout)
            .keep_alive(if self.keep_alive.is_zero() {
                actix_http::KeepAlive::Disabled
            } else {
                actix_http::KeepAlive::Timeout(self.keep_alive)
            });
        Ok(match self.workers {
            Some(n) => server.workers(n.max(1)),
            None => server,
        })
    }
}

/// Declares `pub struct ServerFlags`, the [`ServerSettings`] as command-line flags with
/// environment variables under `$prefix` (`FC_HUB_` gives `FC_HUB_LISTEN_BACKLOG`,
/// `FC_HUB_WORKERS`, `FC_HUB_REQUEST_TIMEOUT_SECS`, `FC_HUB_KEEP_ALIVE_SECS`,
/// `FC_HUB_MAX_CONNECTIONS`), to flatten into a program's clap configuration.
#[macro_export]
macro_rules! server_flags {
    ($prefix:literal) => {
        /// The HTTP server's limits (defaults: actix-web's).
        #[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
        pub struct ServerFlags {
            /// Listen backlog: connections queued before the program accepts them (capped by
            /// the kernel's net.core.somaxconn).
            #[arg(long, env = concat!($prefix, "LISTEN_BACKLOG"), default_value_t = $crate::server::DEFAULT_BACKLOG)]
            pub listen_backlog: u32,
            /// HTTP worker threads (default: one per physical core).
            #[arg(long, env = concat!($prefix, "WORKERS"))]
            pub workers: Option<usize>,
            /// Seconds a client has to send its request head (0: no limit).
            #[arg(long, env = concat!($prefix, "REQUEST_TIMEOUT_SECS"), default_value_t = $crate::server::DEFAULT_REQUEST_TIMEOUT_SECS)]
            pub request_timeout_secs: u64,
            /// Seconds an idle keep-alive connection stays open (0: no keep-alive).
            #[arg(long, env = concat!($prefix, "KEEP_ALIVE_SECS"), default_value_t = $crate::server::DEFAULT_KEEP_ALIVE_SECS)]
            pub keep_alive_secs: u64,
            /// Connections served at once by each worker (more wait in the backlog).
            #[arg(long, env = concat!($prefix, "MAX_CONNECTIONS"), default_value_t = $crate::server::DEFAULT_MAX_CONNECTIONS)]
            pub max_connections: usize,
        }

        impl Default for ServerFlags {
            fn default() -> Self {
                Self::from(&$crate::server::ServerSettings::default())
            }
        }

        impl From<&$crate::server::ServerSettings> for ServerFlags {
            fn from(s: &$crate::server::ServerSettings) -> Self {
                Self {
                    listen_backlog: s.backlog,
                    workers: s.workers,
                    request_timeout_secs: s.request_timeout.as_secs(),
                    keep_alive_secs: s.keep_alive.as_secs(),
                    max_connections: s.max_connections,
                }
            }
        }

        impl ServerFlags {
            pub fn settings(&self) -> $crate::server::ServerSettings {
                $crate::server::ServerSettings {
                    backlog: self.listen_backlog,
                    workers: self.workers,
                    request_timeout: std::time::Duration::from_secs(self.request_timeout_secs),
                    keep_alive: std::time::Duration::from_secs(self.keep_alive_secs),
                    max_connections: self.max_connections,
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_actix_webs_and_display_says_them() {
        let s = ServerSettings::default();
        assert_eq!(s.backlog, 2048);
        assert_eq!(s.request_timeout, Duration::from_secs(5));
        assert_eq!(
            s.to_string(),
            "backlog 2048, workers one per core, request timeout 5 s, keep-alive 5 s, \
             max connections 25000 per worker"
        );
    }
}
