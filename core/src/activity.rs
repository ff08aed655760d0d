//! Activities: what happened with an account or one of its contacts. Reps
//! log visits, calls and meetings on the device; marketing tools report
//! e-mail opens, downloads and the like at the hub. Pure values.

use serde::{Deserialize, Serialize};

use crate::ids::{Timestamp, check_id};
use crate::rules;
use crate::rules::{FieldError, Result};

/// What kind of activity it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// A visit at the customer's site.
    Visit,
    /// A call the rep made.
    Call,
    /// A call from the customer.
    InboundCall,
    /// A meeting (on site or online).
    Meeting,
    /// An e-mail the rep wrote.
    Email,
    /// A note without contact.
    Note,
    /// A marketing e-mail was sent to the contact (a mailing received).
    EmailSent,
    /// A marketing e-mail was opened.
    EmailOpened,
    /// A link in a marketing e-mail was clicked.
    LinkClicked,
    /// A landing page was visited.
    LandingPageVisit,
    /// A case study was downloaded.
    CaseStudyDownload,
    /// A whitepaper was downloaded.
    WhitepaperDownload,
    /// A webinar was attended.
    WebinarAttended,
    /// A like of a social post (XING, LinkedIn).
    SocialLike,
    /// A comment on a social post.
    SocialComment,
}

impl ActivityKind {
    /// Every kind.
    pub const ALL: [ActivityKind; 15] = [
        ActivityKind::Visit,
        ActivityKind::Call,
        ActivityKind::InboundCall,
        ActivityKind::Meeting,
        ActivityKind::Email,
        ActivityKind::Note,
        ActivityKind::EmailSent,
        ActivityKind::EmailOpened,
        ActivityKind::LinkClicked,
        ActivityKind::LandingPageVisit,
        ActivityKind::CaseStudyDownload,
        ActivityKind::WhitepaperDownload,
        ActivityKind::WebinarAttended,
        ActivityKind::SocialLike,
        ActivityKind::SocialComment,
    ];

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<ActivityKind> {
        ActivityKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The stored name, e.g. `case_study_download`.
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Visit => "visit",
            ActivityKind::Call => "call",
            ActivityKind::InboundCall => "inbound_call",
            ActivityKind::Meeting => "meeting",
            ActivityKind::Email => "email",
            ActivityKind::Note => "note",
            ActivityKind::EmailSent => "email_sent",
            ActivityKind::EmailOpened => "email_opened",
            ActivityKind::LinkClicked => "link_clicked",
            ActivityKind::LandingPageVisit => "landing_page_visit",
            ActivityKind::CaseStudyDownload => "case_study_download",
            ActivityKind::WhitepaperDownload => "whitepaper_download",
            ActivityKind::WebinarAttended => "webinar_attended",
            ActivityKind::SocialLike => "social_like",
            ActivityKind::SocialComment => "social_comment",
        }
    }
}

/// One activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Activity {
    /// Stable id (a UUID).
    pub id: String,
    /// The account.
    pub account_id: String,
    /// The contact involved, if any.
    pub contact_id: Option<String>,
    /// What happened.
    pub kind: ActivityKind,
    /// When it happened.
    pub at: Timestamp,
    /// Who logged it (a rep id, or the marketing tool's name).
    pub by: String,
    /// One-line subject.
    pub subject: String,
    /// Free notes.
    pub notes: String,
}

impl Activity {
    /// Checks ids and text lengths.
    pub fn validate(&self) -> Result<()> {
        check_id("activity id", &self.id)?;
        check_id("account id", &self.account_id)?;
        if let Some(c) = &self.contact_id {
            check_id("contact id", c)?;
        }
        rules::line("by", &self.by, 100, true)?;
        rules::line("subject", &self.subject, 300, false)?;
        rules::text("notes", &self.notes, 20_000, false, true)?;
        if self.at.timestamp() < 0 {
            return Err(FieldError::new("activity time", "before 1970"));
        }
        Ok(())
    }

    /// The period document it belongs to: `YYYY-MM` of its time.
    pub fn period(&self) -> String {
        self.at.format("%Y-%m").to_string()
    }
}
