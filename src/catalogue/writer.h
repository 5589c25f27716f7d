// YAML text of imported versions and new table files, in our table format
// (docs/pricing.md). Every price is a plain decimal (FormatPrice).
#pragma once

#include <string>
#include <vector>

#include "model.h"

namespace lce::catalogue {

// "provider: x\ncurrency: USD\nversions:\n" after `comment` (lines of "# ...").
std::string TableHeader(const std::string& provider, const std::string& comment);

// One list item of `versions:`, `inherit: true` unless `first`.
std::string VersionText(const std::string& date, bool first, const std::vector<Model>& models,
                        const std::string& comment);

// A name as a YAML scalar, quoted when a plain scalar could read otherwise.
std::string YamlName(const std::string& name);

}  // namespace lce::catalogue
