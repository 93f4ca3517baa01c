//! The benign-language model behind `dga` and `dns_tunnel`: how random a DNS label looks.
//!
//! A character bigram model is learned, once at first use, from a word list compiled
//! into the binary (common English words and the tokens popular domain names are made
//! of; written for botsense, nothing downloaded). A label's *randomness* (0–1) combines:
//!
//! - its mean bigram surprise (bits per character transition) placed between what the
//!   model's own words score and what uniformly random letters and digits score, so 0 is
//!   "reads like a word" and 1 is "reads like a random string" (weight 0.55);
//! - Shannon entropy of its characters relative to the most its length allows (0.15);
//! - digits mixed into letters (0.15) and the longest consonant run (0.15).
//!
//! Names are split at the public suffix: `registered_split("a.b.example.co.uk")` gives
//! the label left of the suffix (`example`) and the registered domain
//! (`example.co.uk`). Only a short built-in list of two-level suffixes is known; a name
//! under an unknown two-level suffix is judged on the label next to its top-level domain,
//! which errs toward quiet.

use std::sync::OnceLock;

/// The training text: common English words and domain-name tokens.
const WORDS: &str = "
the and for are but not you all any can had her was one our out day get has him his how
man new now old see two way who boy did its let put say she too use about after again air
also america animal another answer around back because before being below between book
both build call came change children city close come company could country different
does down each earth end even every example eye face family far father feet few find
first follow food form found four from give good great group grow hand hard have head
hear help here high home house important into just keep kind know land large last learn
leave left life light line list little live long look made make many mark might mile
more most mother mountain move much must name near need never next night number off
often only open other over page paper part people picture place plant play point
question quick read real right river room said same school sea second seem sentence set
should show side small some something song sound spell start state still story study
such take talk tell than that their them then there these they thing think this those
thought three through time together took tree try turn under until very walk want watch
water well went were what when where which while white why will with without word work
world would write year young your account active admin agent alert alpha analytics
android answer apple application archive assets auth author auto backup bank base beta
blog board book box bridge browser bucket business buy cache calendar camera campus card
care cart cast catalog center central chat check cloud club code collect college comment
community computer config connect console contact content control core corp country
credit customer daily data deal delivery design desktop detect developer device digital
direct directory discover display document domain download drive early edge education
email energy engine enterprise entry event exchange express feed field file filter
finance fire firm flash flow focus font forum frame free friend front fund galaxy game
garden gateway general global gold graph green guide health heart hello history host
hosting hotel house image index info insight insurance internet journal kitchen lab
labs language launch leader legal library link live local login mail maps market marketing
media meet member menu message metric micro mobile money monitor movie music nation
native network news node notify office online order origin outlook partner pay people
phone photo pixel platform player plus portal post power press price print privacy
product profile project proxy public push radio rating record region relay remote report
research resource response review router sale sales search secure security server
service services share shop shopping signal site smart social software solution sound
source space sport sports static status storage store stream studio style support
survey sync system team tech technology telemetry test theme ticket today token tools
top track trade traffic travel trust update upload user video view vision voice wallet
weather web website weekly wiki window windows wireless wordpress works zone yahoo amazon
google facebook microsoft twitter instagram linkedin youtube netflix github reddit
wikipedia cloudflare akamai fastly adobe oracle salesforce dropbox spotify zoom slack
paypal ebay walmart target bestbuy yelp booking expedia airbnb uber lyft tesla nvidia
intel cisco samsung sony nintendo steam twitch discord telegram whatsapp pinterest
tumblr medium quora stackoverflow mozilla firefox chrome safari opera brave duckduckgo
bing baidu yandex alibaba tencent weibo naver daum rakuten shopify squarespace wix
godaddy namecheap digitalocean heroku vercel netlify azure office outlook hotmail gmail
icloud apache nginx ubuntu debian redhat fedora centos kernel python java node react
angular vue docker kubernetes jenkins gitlab bitbucket atlassian jira confluence trello
notion asana monday hubspot zendesk intercom mailchimp sendgrid twilio stripe square
visa mastercard chase wellsfargo citibank capital fidelity vanguard schwab morgan
goldman times post guardian reuters bloomberg forbes fortune wired verge engadget
espn nba nfl fifa olympic weather accuweather imdb rotten tomatoes hulu disney
paramount peacock spotify pandora soundcloud bandcamp deezer tidal vimeo dailymotion
";

/// Alphabet: a–z, digit, hyphen, and the label boundary.
const SYMBOLS: usize = 29;
const DIGIT: usize = 26;
const HYPHEN: usize = 27;
const BOUNDARY: usize = 28;

fn symbol(b: u8) -> Option<usize> {
    match b {
        b'a'..=b'z' => Some(usize::from(b - b'a')),
        b'A'..=b'Z' => Some(usize::from(b - b'A')),
        b'0'..=b'9' => Some(DIGIT),
        b'-' | b'_' => Some(HYPHEN),
        _ => None,
    }
}

/// Bigram surprise table, in bits, and the two calibration points.
pub struct BigramModel {
    bits: [[f64; SYMBOLS]; SYMBOLS],
    /// Mean surprise of the training words: "reads like a word".
    benign_bits: f64,
    /// Expected surprise of uniformly random letters and digits: "random".
    random_bits: f64,
}

/// Adds one to the count of the transition `a` -> `b`.
fn bump(counts: &mut [[f64; SYMBOLS]; SYMBOLS], a: usize, b: usize) {
    if let Some(c) = counts.get_mut(a).and_then(|row| row.get_mut(b)) {
        *c += 1.0;
    }
}

impl BigramModel {
    fn learn() -> Self {
        let mut counts = [[0.0f64; SYMBOLS]; SYMBOLS];
        for w in WORDS.split_whitespace() {
            let mut prev = BOUNDARY;
            for b in w.bytes() {
                if let Some(s) = symbol(b) {
                    bump(&mut counts, prev, s);
                    prev = s;
                }
            }
            bump(&mut counts, prev, BOUNDARY);
        }
        // Add-half smoothing: unseen transitions are rare, not impossible.
        let mut bits = [[0.0f64; SYMBOLS]; SYMBOLS];
        for (row, bits_row) in counts.iter().zip(bits.iter_mut()) {
            let total: f64 = row.iter().sum::<f64>() + 0.5 * SYMBOLS as f64;
            for (c, bit) in row.iter().zip(bits_row.iter_mut()) {
                *bit = -((c + 0.5) / total).log2();
            }
        }
        let mut model = BigramModel {
            bits,
            benign_bits: 0.0,
            random_bits: 0.0,
        };
        let words: Vec<&str> = WORDS.split_whitespace().collect();
        model.benign_bits = words
            .iter()
            .map(|w| model.surprise(w.as_bytes()))
            .sum::<f64>()
            / words.len() as f64;
        // Random letters and digits as a DGA draws them: 26 letters, 10 digits.
        let mut sum = 0.0;
        let mut n = 0.0;
        let weight = |s: usize| if s == DIGIT { 10.0 } else { 1.0 };
        for a in 0..=DIGIT {
            for b in 0..=DIGIT {
                let w = weight(a) * weight(b);
                sum += w * model.bits(a, b);
                n += w;
            }
        }
        model.random_bits = sum / n;
        model
    }

    /// Bits of the transition `a` -> `b` (symbols from [`symbol`], or `BOUNDARY`).
    fn bits(&self, a: usize, b: usize) -> f64 {
        self.bits
            .get(a)
            .and_then(|row| row.get(b))
            .copied()
            .unwrap_or(0.0)
    }

    /// Mean bits per transition of `label`, boundaries included.
    pub fn surprise(&self, label: &[u8]) -> f64 {
        let mut prev = BOUNDARY;
        let mut total = 0.0;
        let mut n = 0usize;
        for &b in label {
            let Some(s) = symbol(b) else { continue };
            total += self.bits(prev, s);
            n += 1;
            prev = s;
        }
        total += self.bits(prev, BOUNDARY);
        n += 1;
        total / n as f64
    }

    /// 0: like the model's words; 1: like uniformly random characters (clamped).
    pub fn randomness(&self, label: &[u8]) -> f64 {
        let span = (self.random_bits - self.benign_bits).max(0.1);
        ((self.surprise(label) - self.benign_bits) / span).clamp(0.0, 1.0)
    }
}

/// The model, learned on first use.
pub fn model() -> &'static BigramModel {
    static MODEL: OnceLock<BigramModel> = OnceLock::new();
    MODEL.get_or_init(BigramModel::learn)
}

/// Shannon entropy in bits per character.
pub fn entropy(label: &[u8]) -> f64 {
    if label.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in label {
        if let Some(c) = counts.get_mut(usize::from(b.to_ascii_lowercase())) {
            *c += 1;
        }
    }
    let n = label.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = f64::from(*c) / n;
            -p * p.log2()
        })
        .sum()
}

fn is_vowel(b: u8) -> bool {
    matches!(
        b.to_ascii_lowercase(),
        b'a' | b'e' | b'i' | b'o' | b'u' | b'y'
    )
}

/// The features of one label, as the evidence and tests show them.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelScore {
    pub bigram: f64,
    pub entropy_ratio: f64,
    pub digit_mix: f64,
    pub consonant_run: usize,
    pub randomness: f64,
}

/// How random `label` looks (see the module doc for the weights).
pub fn label_score(label: &[u8]) -> LabelScore {
    let bigram = model().randomness(label);
    let n = label.len().max(1);
    // The most entropy a string of this length can have over a 36-symbol alphabet.
    let max_entropy = (n.min(36) as f64).log2().max(1.0);
    let entropy_ratio = (entropy(label) / max_entropy).clamp(0.0, 1.0);
    let digits = label.iter().filter(|b| b.is_ascii_digit()).count();
    let letters = label.iter().filter(|b| b.is_ascii_alphabetic()).count();
    // Letter/digit alternations: "a1b2" mixes, "web2" or "mp3" barely does.
    let switches = label
        .windows(2)
        .filter(|w| matches!(w, [a, b] if a.is_ascii_digit() != b.is_ascii_digit()))
        .count();
    let digit_mix = if digits == 0 || letters == 0 {
        0.0
    } else {
        ((switches as f64 - 1.0) / 3.0).clamp(0.0, 1.0)
    };
    let mut run = 0usize;
    let mut consonant_run = 0usize;
    for &b in label {
        if b.is_ascii_alphabetic() && !is_vowel(b) {
            run += 1;
            consonant_run = consonant_run.max(run);
        } else {
            run = 0;
        }
    }
    let cons = ((consonant_run as f64 - 3.0) / 3.0).clamp(0.0, 1.0);
    let randomness = 0.55 * bigram + 0.15 * entropy_ratio + 0.15 * digit_mix + 0.15 * cons;
    LabelScore {
        bigram,
        entropy_ratio,
        digit_mix,
        consonant_run,
        randomness,
    }
}

/// Two-level public suffixes botsense knows (the common country-code second levels).
const TWO_LEVEL_SUFFIXES: &[&str] = &[
    "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "net.uk", "ltd.uk", "plc.uk", "com.au",
    "net.au", "org.au", "edu.au", "gov.au", "co.nz", "org.nz", "net.nz", "co.jp", "ne.jp", "or.jp",
    "ac.jp", "go.jp", "co.kr", "or.kr", "com.cn", "net.cn", "org.cn", "gov.cn", "edu.cn", "com.hk",
    "com.tw", "com.sg", "com.my", "co.in", "net.in", "org.in", "firm.in", "gen.in", "ind.in",
    "co.id", "or.id", "ac.id", "co.th", "in.th", "com.br", "net.br", "org.br", "gov.br", "com.ar",
    "com.mx", "org.mx", "com.co", "com.pe", "com.ve", "com.tr", "org.tr", "gen.tr", "co.za",
    "org.za", "web.za", "com.ng", "com.eg", "co.il", "org.il", "ac.il", "com.ua", "net.ua",
    "org.ua", "com.pl", "net.pl", "org.pl", "co.at", "or.at", "com.es", "com.pt", "com.gr",
    "com.ru", "com.vn", "com.ph", "com.pk", "com.sa", "com.qa", "co.ke",
];

/// A DNS name split at its public suffix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameParts<'a> {
    /// The label left of the public suffix (what a DGA generates).
    pub label: &'a str,
    /// That label plus the suffix: the parent every subdomain shares.
    pub registered: &'a str,
    /// Everything left of the registered domain (empty when none).
    pub subdomain: &'a str,
}

/// Splits a lower-case name (no trailing dot) at its public suffix; `None` for a name
/// with a single label.
pub fn registered_split(name: &str) -> Option<NameParts<'_>> {
    let name = name.trim_end_matches('.');
    if name.split('.').any(str::is_empty) {
        return None;
    }
    // Where the label that ends at byte `end` starts (labels are never empty here).
    let label_start = |end: usize| {
        name.get(..end)
            .and_then(|s| s.rfind('.'))
            .map_or(0, |dot| dot + 1)
    };
    // The rightmost label, and the one left of it.
    let last = label_start(name.len());
    if last == 0 {
        return None;
    }
    let second = label_start(last - 1);
    let (registered_start, suffix_start) =
        if second > 0 && TWO_LEVEL_SUFFIXES.contains(&name.get(second..)?) {
            (label_start(second - 1), second)
        } else {
            (second, last)
        };
    Some(NameParts {
        label: name.get(registered_start..suffix_start - 1)?,
        registered: name.get(registered_start..)?,
        subdomain: name.get(..registered_start)?.trim_end_matches('.'),
    })
}

/// Whether `name` is `suffix` or ends with `.suffix` (both lower case).
pub fn under_suffix(name: &str, suffix: &str) -> bool {
    let suffix = suffix.trim_start_matches('.');
    name == suffix
        || name
            .strip_suffix(suffix)
            .is_some_and(|rest| rest.ends_with('.'))
}

/// Domain suffixes (lower case): whether a name is one of them or under one, with one
/// hash probe per label of the name instead of a comparison per suffix.
#[derive(Debug, Default)]
pub struct SuffixSet(crate::hash::HashSet<String>);

impl SuffixSet {
    /// From configured suffixes: outer dots trimmed, lower-cased.
    pub fn new<'a>(suffixes: impl IntoIterator<Item = &'a String>) -> Self {
        SuffixSet(
            suffixes
                .into_iter()
                .map(|s| s.trim_matches('.').to_ascii_lowercase())
                .collect(),
        )
    }

    /// Whether [`under_suffix`]`(name, s)` holds for some suffix `s` of the set: `name`
    /// itself, or a tail of it that follows a dot, is in the set.
    pub fn covers(&self, name: &str) -> bool {
        let mut tail = name;
        loop {
            if self.0.contains(tail) {
                return true;
            }
            match tail.split_once('.') {
                Some((_, rest)) => tail = rest,
                None => return false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first implementation, kept as the definition the allocation-free one is
    /// checked against.
    fn registered_split_by_offsets(name: &str) -> Option<NameParts<'_>> {
        let name = name.trim_end_matches('.');
        if name.split('.').any(str::is_empty) {
            return None;
        }
        let starts: Vec<usize> = name
            .rmatch_indices('.')
            .map(|(dot, _)| dot + 1)
            .chain(std::iter::once(0))
            .collect();
        let last_two_start = *starts.get(1)?;
        let suffix_labels =
            if starts.len() >= 3 && TWO_LEVEL_SUFFIXES.contains(&name.get(last_two_start..)?) {
                2
            } else {
                1
            };
        let registered_start = *starts.get(suffix_labels)?;
        let suffix_start = *starts.get(suffix_labels - 1)?;
        Some(NameParts {
            label: name.get(registered_start..suffix_start - 1)?,
            registered: name.get(registered_start..)?,
            subdomain: name.get(..registered_start)?.trim_end_matches('.'),
        })
    }

    proptest::proptest! {
        #[test]
        fn registered_split_agrees_with_the_offsets_definition(
            name in "(([a-z]{0,3}|co|uk|com)\\.){0,4}(co|uk|com|[a-z]{0,3})\\.?",
        ) {
            proptest::prop_assert_eq!(registered_split(&name), registered_split_by_offsets(&name));
        }

        /// The set answers what a scan of its suffixes with `under_suffix` answers.
        #[test]
        fn suffix_set_covers_what_a_scan_finds(
            name in "[ab.]{0,8}",
            suffixes in proptest::collection::vec("[ab.]{1,5}", 0..5),
        ) {
            let trimmed: Vec<String> = suffixes
                .iter()
                .map(|s| s.trim_matches('.').to_string())
                .filter(|s| !s.is_empty())
                .collect();
            let scan = trimmed.iter().any(|s| under_suffix(&name, s));
            proptest::prop_assert_eq!(SuffixSet::new(&trimmed).covers(&name), scan);
        }
    }

    #[test]
    fn words_score_low_and_random_strings_score_high() {
        for w in [
            "google",
            "facebook",
            "wikipedia",
            "stackoverflow",
            "weatherchannel",
            "example",
            "bestbuy",
            "nytimes",
            "theguardian",
            "shoppingcart",
        ] {
            let s = label_score(w.as_bytes());
            assert!(s.randomness < 0.45, "{w}: {s:?}");
        }
        for w in [
            "xjwqkzvbpt",
            "qh7rk2mzv0a",
            "kdjfhgqpwz",
            "zxqvbnmrtk",
            "a8f3k29dj4k",
            "vmqplxrgthz",
        ] {
            let s = label_score(w.as_bytes());
            assert!(s.randomness > 0.6, "{w}: {s:?}");
        }
    }

    #[test]
    fn names_split_at_the_public_suffix() {
        let p = registered_split("a.b.example.co.uk").unwrap();
        assert_eq!(p.label, "example");
        assert_eq!(p.registered, "example.co.uk");
        assert_eq!(p.subdomain, "a.b");
        let p = registered_split("xkqjz.com").unwrap();
        assert_eq!(
            (p.label, p.registered, p.subdomain),
            ("xkqjz", "xkqjz.com", "")
        );
        assert!(registered_split("localhost").is_none());
        assert!(registered_split("co.uk").is_some());
    }

    #[test]
    fn suffix_match_is_on_label_boundaries() {
        assert!(under_suffix("a.cloudfront.net", "cloudfront.net"));
        assert!(under_suffix("cloudfront.net", ".cloudfront.net"));
        assert!(!under_suffix("evilcloudfront.net", "cloudfront.net"));
    }

    #[test]
    fn entropy_of_uniform_bytes() {
        assert_eq!(entropy(b"abcd"), 2.0);
        assert_eq!(entropy(b"aaaa"), 0.0);
    }
}
