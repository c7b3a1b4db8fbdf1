//! The test harness itself: what the other areas rely on.

use std::net::TcpListener;

use crate::support::moto::Moto;

/// A port taken between probing and moto's bind is told apart from a moto that started, so
/// `Moto::start` can try another port instead of talking to whatever holds this one.
#[test]
fn moto_on_a_taken_port_is_a_retryable_startup_failure() {
    let holder = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let port = holder.local_addr().expect("address").port();
    let log = match Moto::start_on(port) {
        Ok(moto) => panic!("moto claims {} although the port is held", moto.endpoint),
        Err(log) => log,
    };
    assert!(log.contains("Address already in use"), "{log}");
    drop(holder);
}
