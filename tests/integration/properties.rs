//! Property tests: whatever the names and paths in content, outputs stay inside the output
//! folder, and every relative URL leads back to its target.

use proptest::prelude::*;

use flywheel::markdown::{join_relative, slugify};
use flywheel::render::root_for;
use flywheel::resolve::{alias_url, url_for};

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9_-]{1,12}",
        "\\PC{1,8}",
        Just("..".to_string()),
        Just(".".to_string()),
        Just("con".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn slugs_never_make_paths(text in "\\PC{0,40}") {
        let slug = slugify(&text);
        prop_assert!(!slug.contains('/') && !slug.contains('\\'));
        prop_assert!(slug != ".." && slug != ".");
        prop_assert!(!slug.starts_with('-') && !slug.ends_with('-'));
    }

    #[test]
    fn aliases_stay_inside_the_site(parts in proptest::collection::vec(segment(), 0..6), lead in "/?") {
        let alias = format!("{lead}{}", parts.join("/"));
        if let Some(url) = alias_url(&alias) {
            prop_assert!(!url.split('/').any(|p| p == ".." || p == "."), "{url}");
            prop_assert!(!url.starts_with('/'));
            prop_assert_eq!(join_relative("", &url).map(|r| !r.is_empty()), Some(true));
        }
    }

    #[test]
    fn relative_links_never_climb_out_of_content(dir in proptest::collection::vec("[a-z]{1,6}", 0..4), link in proptest::collection::vec(segment(), 1..6)) {
        let dir = dir.join("/");
        let link = link.join("/");
        if let Some(target) = join_relative(&dir, &link) {
            prop_assert!(!target.split('/').any(|p| p == ".." || p == "."), "{target}");
        }
    }

    /// A page at any depth linking to any other page: `root` + the target's URL, resolved from
    /// the linking page's folder, is the target's URL again.
    #[test]
    fn relative_urls_resolve_back_to_their_target(
        from in proptest::collection::vec("[a-z0-9-]{1,8}", 0..5),
        to in proptest::collection::vec("[a-z0-9-]{1,8}", 0..5),
    ) {
        let from_url = url_for(&format!("{}.md", if from.is_empty() { "_index".into() } else { from.join("/") }));
        let to_url = url_for(&format!("{}.md", if to.is_empty() { "_index".into() } else { to.join("/") }));
        let depth = from_url.matches('/').count();
        let href = format!("{}{}", root_for(depth), to_url);
        let resolved = join_relative(&from_url, &href);
        prop_assert_eq!(resolved.as_deref(), Some(to_url.trim_end_matches('/')));
    }
}
