//! Several hubs on one Redis store behind a front that sends every request to the next one
//! (feature `redis-tests`): whichever replica answers, the journey, SSO, consent, token,
//! userinfo, checktoken and logout work, a code is redeemed once across all of them, and
//! restarting them all mid-journey loses nothing.

use front::Front;

use super::*;

impl TestHub {
    /// `n` hubs on one Redis namespace and one keys folder, behind a round-robin front; `url`
    /// is the front's, and it is every hub's public URL.
    pub async fn start_replicas(n: usize) -> Self {
        let front = Front::start();
        let listeners = listeners(n);
        front.set_upstreams(listeners.iter().map(url_of).collect());
        let mut hub = Self::launch(
            hub::Instance::FranceConnect,
            front.url.clone(),
            listeners,
            |_| {},
            |_| {},
        )
        .await;
        hub.front = Some(front);
        hub
    }

    /// Stops every replica, then starts as many new ones: nothing carries over but the store
    /// and the keys folder, as when the processes are restarted.
    pub async fn restart_hubs(&mut self) {
        let n = self.hubs.len();
        for h in self.hubs.drain(..) {
            h.stop(false).await;
        }
        let listeners = listeners(n);
        let upstreams = listeners.iter().map(url_of).collect();
        for listener in listeners {
            let (handle, (sessions, platform, health)) =
                start_hub(self.config.clone(), listener).await;
            self.hubs.push(handle);
            (self.sessions, self.platform, self.health) = (sessions, platform, health);
        }
        self.front().set_upstreams(upstreams);
    }

    fn front(&self) -> &Front {
        self.front.as_ref().expect("started with start_replicas")
    }

    /// Checks the front alternated: no two consecutive requests at one replica, and each
    /// replica served about half.
    fn assert_alternated(&self) {
        let served = self.front().served();
        assert!(served.len() >= 10, "{served:?}");
        for pair in served.windows(2) {
            assert_ne!(pair[0].replica, pair[1].replica, "{pair:?}");
        }
    }
}

fn listeners(n: usize) -> Vec<TcpListener> {
    (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect()
}

/// GET `/api/v2/userinfo` with `token`: its status and body.
async fn userinfo(hub: &TestHub, token: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .get(format!("{}/api/v2/userinfo", hub.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The introspection the DP gets for `token`.
async fn checktoken(hub: &TestHub, token: &str) -> Value {
    let answer = reqwest::Client::new()
        .post(format!("{}/api/v2/checktoken", hub.url))
        .form(&[
            ("token", token),
            ("client_id", DP_ID),
            ("client_secret", DP_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let jwt = answer.text().await.unwrap();
    let payload = fc_plumbing::jose::verify_jwt(
        &open_checktoken(&jwt),
        fc_plumbing::Jwa::ES256,
        &jwks(hub).await,
        None,
    )
    .unwrap();
    payload["token_introspection"].clone()
}

/// Redeems `code`, checks the ID token against `keys` and the access token at userinfo and
/// checktoken; returns the ID token.
async fn data(hub: &TestHub, code: &str, keys: &openidconnect::core::CoreJsonWebKeySet) -> String {
    let response = hub.token(code, SP_SECRET).await;
    assert_eq!(response.status().as_u16(), 200);
    let tokens: Value = response.json().await.unwrap();
    let id_token = tokens["id_token"].as_str().unwrap().to_owned();
    let claims =
        fc_plumbing::jose::verify_jwt(&id_token, fc_plumbing::Jwa::ES256, keys, None).unwrap();
    assert_eq!(claims["nonce"], NONCE);
    let access_token = tokens["access_token"].as_str().unwrap();
    let (status, jwt) = userinfo(hub, access_token).await;
    assert_eq!(status, 200, "{jwt}");
    let info = fc_plumbing::jose::verify_jwt(&jwt, fc_plumbing::Jwa::ES256, keys, None).unwrap();
    assert_eq!(info["given_name"], "Mélaine Évelyne");
    assert_eq!(info["sub"], claims["sub"]);
    let introspection = checktoken(hub, access_token).await;
    assert_eq!(introspection["active"], true);
    assert_eq!(introspection["family_name"], "TROIS");
    id_token
}

/// With an SSO session, authorize goes straight to the consent page.
async fn assert_sso(hub: &TestHub, browser: &Browser) {
    let again = browser.open(&hub.authorize_url(&[])).await;
    assert!(again.url.ends_with("/consent"), "SSO kept: {}", again.url);
}

async fn logout(hub: &TestHub, browser: &Browser, id_token: &str) {
    let done = browser
        .open(&fc_plumbing::web::url_with_query(
            &format!("{}/api/v2/session/end", hub.url),
            &[
                ("id_token_hint", id_token),
                ("state", "bye"),
                ("post_logout_redirect_uri", "http://sp.test/logout-callback"),
            ],
        ))
        .await;
    assert_eq!(
        done.url, "http://sp.test/logout-callback?state=bye",
        "{:?}",
        done.hops
    );
    assert!(
        done.hops.iter().any(|h| h.url.starts_with(&hub.idp_url)),
        "through the IdP: {:?}",
        done.hops
    );
    let mire = browser.open(&hub.authorize_url(&[])).await;
    mire.assert_contains("data-testid=\"idp-identity-provider-example\"");
}

#[tokio::test]
async fn the_whole_journey_works_whichever_replica_answers() {
    let hub = TestHub::start_replicas(2).await;
    let browser = Browser::stopping_at("http://sp.test");
    let code = hub.code(&browser).await;
    let keys = jwks(&hub).await;
    let id_token = data(&hub, &code, &keys).await;
    assert_sso(&hub, &browser).await;
    let second = hub.code(&browser).await;
    data(&hub, &second, &keys).await;
    logout(&hub, &browser, &id_token).await;
    hub.assert_alternated();
    hub.stop().await;
}

#[tokio::test]
async fn restarting_every_replica_mid_journey_loses_nothing() {
    let mut hub = TestHub::start_replicas(2).await;
    let keys = jwks(&hub).await;
    let browser = Browser::stopping_at("http://sp.test");
    let mire = browser.open(&hub.authorize_url(&[])).await;
    hub.restart_hubs().await;
    // The person goes on from the mire the replicas showed before they restarted...
    let consent = hub.log_in_at_idp(&browser, &mire).await;
    assert!(consent.url.ends_with("/consent"), "{}", consent.url);
    hub.restart_hubs().await;
    let code = hub.consent(&browser, &consent).await;
    // ...its code, the keys and the SSO session outlive the restart between login and data.
    hub.restart_hubs().await;
    assert_eq!(jwks(&hub).await, keys, "same signing keys");
    let id_token = data(&hub, &code, &keys).await;
    hub.restart_hubs().await;
    assert_sso(&hub, &browser).await;
    logout(&hub, &browser, &id_token).await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_redemptions_of_one_code_across_replicas_give_exactly_one_token() {
    let hub = TestHub::start_replicas(2).await;
    let browser = Browser::stopping_at("http://sp.test");
    let code = hub.code(&browser).await;
    let client = reqwest::Client::new();
    let attempts: Vec<_> = (0..100)
        .map(|_| {
            let request = client.post(format!("{}/api/v2/token", hub.url)).form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", SP_CALLBACK),
                ("client_id", SP_ID),
                ("client_secret", SP_SECRET),
            ]);
            tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(statuses[0], 200);
    assert!(
        statuses[1..].iter().all(|s| *s == 400),
        "exactly one 200, the others invalid_grant: {statuses:?}"
    );
    let at_token: Vec<usize> = hub
        .front()
        .served()
        .into_iter()
        .filter(|s| s.path == "/api/v2/token")
        .map(|s| s.replica)
        .collect();
    assert_eq!(at_token.len(), 100);
    assert_eq!(at_token.iter().filter(|r| **r == 0).count(), 50, "spread");
    hub.stop().await;
}

#[tokio::test]
async fn replicas_starting_together_on_an_empty_keys_folder_serve_the_same_keys() {
    let hub = TestHub::start().await;
    let mut config = hub.config.clone();
    let empty = config.keys_dir.clone().unwrap().with_extension("together");
    config.keys_dir = Some(empty);
    let (a, b) = (listeners(1).remove(0), listeners(1).remove(0));
    let (a_url, b_url) = (url_of(&a), url_of(&b));
    let ((a, _), (b, _)) = tokio::join!(start_hub(config.clone(), a), start_hub(config, b));
    let keys = |url: String| async move {
        let doc: Value = reqwest::get(format!("{url}/api/v2/jwks"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        doc
    };
    let (from_a, from_b) = (keys(a_url).await, keys(b_url).await);
    assert_eq!(from_a["keys"].as_array().unwrap().len(), 2, "{from_a}");
    assert_eq!(from_a, from_b);
    a.stop(false).await;
    b.stop(false).await;
    hub.stop().await;
}
