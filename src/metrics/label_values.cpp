#include "label_values.h"

#include <charconv>

namespace lce::metrics {

std::size_t StatusClassIndex(std::uint16_t vendor_status) {
  if (vendor_status < 100 || vendor_status > 599) return 0;
  return vendor_status / 100u;
}

StatusCodeText::StatusCodeText(std::uint16_t status) {
  const auto result = std::to_chars(digits_.data(), digits_.data() + digits_.size(), status);
  size_ = static_cast<std::size_t>(result.ptr - digits_.data());
}

}  // namespace lce::metrics
