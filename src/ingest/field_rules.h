// Field rules of the usage record that are plain text checks (no JSON):
// identifier, hex-id and digest formats. The label rule itself is the public
// lce::ValidateLabelValue (ingest.h); these are its siblings for the fields
// that are not labels. Every function is pure, noexcept and allocation free.
#pragma once

#include <cstddef>
#include <string_view>

namespace lce::ingest_detail {

inline constexpr std::size_t kMaxIdLength = 128;

// event_id / reservation_id: 1..128 characters of [A-Za-z0-9._:-].
bool IsValidRecordId(std::string_view value) noexcept;

// trace_id (hex_length 32) / span_id (hex_length 16): exactly hex_length
// hex digits (either case), not all zero (the W3C "invalid" id).
bool IsValidHexId(std::string_view value, std::size_t hex_length) noexcept;

// hash_email: a hex digest of 32, 40, 64 or 128 digits (MD5, SHA-1, SHA-256,
// SHA-512), either case.
bool IsValidHashDigest(std::string_view value) noexcept;

// Heuristics shared by the label rule and the hash rule. A value "looks like
// an e-mail" when it has an '@' with a non-empty part before it and a domain
// after it containing a '.' that is neither its first nor its last character.
bool LooksLikeEmail(std::string_view value) noexcept;
// 7..15 decimal digits, optionally separated by '+', '(', ')', '-', '.', ' '.
bool LooksLikePhone(std::string_view value) noexcept;
// A credential: a well-known key prefix (sk-, sk_live_, ghp_, xoxb-, AKIA,
// AIza, glpat-, ...) followed by a long random part, or any run of 32 or
// more letters and digits mixing upper case, lower case and digits (base62
// tokens). Model names, dates, campaign slugs and hex digests do not match.
bool LooksLikeSecret(std::string_view value) noexcept;
// Values shorter than this are never secrets (the fast path skips the check).
inline constexpr std::size_t kMinSecretLength = 20;

}  // namespace lce::ingest_detail
