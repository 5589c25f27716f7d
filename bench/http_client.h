// Minimal blocking HTTP/1.1 client pieces for the load drivers (loopback
// only, keep-alive, Content-Length bodies).
#pragma once

#include <string>

namespace lce::bench {

// A connected TCP socket with TCP_NODELAY, or -1.
int Connect(const std::string& host, int port);
bool SendAll(int fd, const std::string& data);
// Reads one HTTP response into `buffer`; returns its status code or -1.
int ReadResponse(int fd, std::string& buffer);

}  // namespace lce::bench
