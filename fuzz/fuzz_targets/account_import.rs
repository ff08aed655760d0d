//! A CRM export (`onsite admin import accounts`): any bytes give accounts
//! that pass their own rules, or problems with lines, never a panic.
//! Run: `cargo +nightly fuzz run account_import -- -max_total_time=120`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onsite_core::import::parse_accounts;

fuzz_target!(|data: &[u8]| {
    match parse_accounts(data) {
        Ok(accounts) => {
            for a in &accounts {
                assert!(a.account.validate().is_ok());
                assert!(a.contacts.iter().all(|c| c.validate().is_ok() && c.account_id == a.account.id));
            }
        }
        Err(problems) => assert!(!problems.is_empty()),
    }
});
