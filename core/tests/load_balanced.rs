//! Instances behind a load balancer (DESIGN §11): the client key comes from the peer and, only
//! behind `trustedProxies`, from `X-Forwarded-For`; with `rateLimit.storage: 'database'` every
//! instance on the database spends from one budget per client. Runs on the engine under test.

mod support;

use kavach_core::Kavach;
use kavach_core::http::Request;
use serde_json::{Value, json};
use support::Harness;

const OPTIONS: &str = "/auth/passkey/authenticate/options";

/// An options request arriving from `peer`, with `forwarded_for` as its X-Forwarded-For fields.
fn options_from(kavach: &Kavach, peer: &str, forwarded_for: &[&str]) -> u16 {
    let mut request = Request::new("POST", OPTIONS).json(&json!({})).client(peer);
    for value in forwarded_for {
        request = request.header("x-forwarded-for", value);
    }
    kavach.handle(&request).status
}

fn limited(max: u32, more: Value) -> Value {
    let mut top = json!({"rateLimit": {"max": max, "window": 60}});
    top.as_object_mut().unwrap().extend(more.as_object().unwrap().clone());
    top
}

#[test]
fn behind_a_trusted_proxy_each_client_keeps_its_own_bucket() {
    // Before: the key was the peer, so every client behind the balancer shared its budget.
    let h = Harness::new();
    let kavach = h.instance_with(limited(2, json!({"trustedProxies": ["10.0.0.0/8"]})));
    for client in ["203.0.113.1", "203.0.113.2", "2001:db8:1::7"] {
        let statuses: Vec<u16> = (0..3).map(|_| options_from(&kavach, "10.0.0.2", &[client])).collect();
        assert_eq!(statuses, [200, 200, 429], "{client}");
    }
    // Through two trusted hops (an edge proxy in 10/8 appended the client, the balancer the edge).
    assert_eq!(options_from(&kavach, "10.0.0.2", &["198.51.100.4, 10.9.0.1"]), 200);
    assert_eq!(options_from(&kavach, "10.0.0.3", &["198.51.100.4", "10.9.0.2"]), 200);
    assert_eq!(options_from(&kavach, "10.0.0.2", &["198.51.100.4"]), 429);
}

#[test]
fn a_client_behind_the_proxy_cannot_pick_its_bucket_by_sending_x_forwarded_for() {
    let h = Harness::new();
    let kavach = h.instance_with(limited(2, json!({"trustedProxies": ["10.0.0.0/8"]})));
    // The proxy appends the address it saw; whatever the client sent stands to its left.
    let statuses: Vec<u16> = (0..6)
        .map(|i| {
            let header = format!("198.51.100.{i}, 10.1.1.{i}, 203.0.113.7");
            options_from(&kavach, "10.0.0.2", &[header.as_str()])
        })
        .collect();
    assert_eq!(statuses, [200, 200, 429, 429, 429, 429]);
}

#[test]
fn x_forwarded_for_from_a_peer_that_is_not_a_trusted_proxy_is_ignored() {
    let h = Harness::new();
    for top in [limited(2, json!({})), limited(2, json!({"trustedProxies": ["10.0.0.0/8"]}))] {
        let kavach = h.instance_with(top);
        let statuses: Vec<u16> = (0..4)
            .map(|i| {
                let spoofed = format!("198.51.100.{i}");
                options_from(&kavach, "203.0.113.9", &[spoofed.as_str()])
            })
            .collect();
        assert_eq!(statuses, [200, 200, 429, 429]);
    }
}

#[test]
fn instances_sharing_the_database_share_one_budget() {
    let h = Harness::new();
    let shared = limited(3, json!({"rateLimit": {"max": 3, "window": 60, "storage": "database"}}));
    let (a, b) = (h.instance_with(shared.clone()), h.instance_with(shared));
    let statuses: Vec<u16> =
        (0..6).map(|i| options_from(if i % 2 == 0 { &a } else { &b }, "203.0.113.7", &[])).collect();
    assert_eq!(statuses, [200, 200, 200, 429, 429, 429], "one budget of 3 across both instances");
    // Another client has its own, on either instance.
    assert_eq!(options_from(&b, "203.0.113.8", &[]), 200);
    // A window later the budget is back, for both.
    h.advance_ms(60_000);
    assert_eq!((options_from(&a, "203.0.113.7", &[]), options_from(&b, "203.0.113.7", &[])), (200, 200));

    // With the default (memory), each instance counts alone: N instances allow N x max.
    let (c, d) = (h.instance_with(limited(3, json!({}))), h.instance_with(limited(3, json!({}))));
    let statuses: Vec<u16> =
        (0..8).map(|i| options_from(if i % 2 == 0 { &c } else { &d }, "203.0.113.9", &[])).collect();
    assert_eq!(statuses, [200, 200, 200, 200, 200, 200, 429, 429]);
}

#[test]
fn a_signed_in_client_shares_its_session_budget_across_instances() {
    let h = Harness::new();
    let (_, token) = h.signup("mallory@example.com");
    let shared = json!({"rateLimit": {"max": 2, "window": 60, "storage": "database"}});
    let (a, b) = (h.instance_with(shared.clone()), h.instance_with(shared));
    let register_options = |kavach: &Kavach, peer: &str| {
        let request = Request::new("POST", "/auth/passkey/register/options")
            .json(&json!({}))
            .header("authorization", &format!("Bearer {token}"))
            .client(peer);
        kavach.handle(&request).status
    };
    let statuses = [
        register_options(&a, "198.51.100.1"),
        register_options(&b, "198.51.100.2"),
        register_options(&a, "198.51.100.3"),
        register_options(&b, "198.51.100.4"),
    ];
    assert_eq!(statuses, [200, 200, 429, 429], "the session's budget, whatever the address and instance");
}

/// Not a test: prints what the shared limit costs per request (`cargo test -p kavach-core --test
/// load_balanced -- --ignored --nocapture`, on each engine). Nothing is asserted about time.
#[test]
#[ignore]
fn measure_the_cost_of_database_buckets() {
    const REQUESTS: u32 = 2_000;
    let h = Harness::new();
    for storage in ["memory", "database"] {
        let kavach = h.instance_with(json!({"rateLimit": {"max": 1_000_000, "window": 60, "storage": storage}}));
        let started = std::time::Instant::now();
        for i in 0..REQUESTS {
            let peer = format!("198.51.100.{}", i % 200);
            assert_eq!(options_from(&kavach, &peer, &[]), 200);
        }
        let elapsed = started.elapsed();
        println!(
            "{} {storage}: {REQUESTS} authenticate/options in {elapsed:?}, {:.0} us each",
            h.database.provider(),
            elapsed.as_micros() as f64 / f64::from(REQUESTS)
        );
    }
}
