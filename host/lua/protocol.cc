#include "lua/protocol.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sf::lua {
namespace {

Status WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Unavailable(std::string("lua worker pipe: ") + strerror(errno));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}

Status ReadAll(int fd, char* p, size_t n, const Deadline* deadline) {
  while (n > 0) {
    if (deadline != nullptr) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      *deadline - std::chrono::steady_clock::now()).count();
      if (left < 0) left = 0;
      pollfd pfd{fd, POLLIN, 0};
      int r = poll(&pfd, 1, static_cast<int>(left));
      if (r < 0) {
        if (errno == EINTR) continue;
        return Unavailable(std::string("lua worker pipe poll: ") + strerror(errno));
      }
      if (r == 0) return Status(SF_ERR_TIMEOUT, "lua worker did not answer in time");
    }
    ssize_t got = read(fd, p, n);
    if (got < 0) {
      if (errno == EINTR) continue;
      return Unavailable(std::string("lua worker pipe: ") + strerror(errno));
    }
    if (got == 0) return Unavailable("lua worker closed its pipe");
    p += got;
    n -= static_cast<size_t>(got);
  }
  return Status::Ok();
}

}  // namespace

Status WriteMessage(int fd, MsgType type, std::string_view payload) {
  return WriteMessage(fd, type, std::span<const std::string_view>(&payload, 1));
}

Status WriteMessage(int fd, MsgType type, std::span<const std::string_view> parts) {
  size_t size = 0;
  for (std::string_view p : parts) size += p.size();
  if (size > kMaxMessageBytes)
    return Status(SF_ERR_TOO_LARGE, "lua worker message of " + std::to_string(size) +
                                        " bytes is over the 64 MiB limit");
  uint32_t head[2] = {static_cast<uint32_t>(type), static_cast<uint32_t>(size)};
  SF_RETURN_IF_ERROR(WriteAll(fd, reinterpret_cast<const char*>(head), sizeof(head)));
  for (std::string_view p : parts) SF_RETURN_IF_ERROR(WriteAll(fd, p.data(), p.size()));
  return Status::Ok();
}

StatusOr<Message> ReadMessage(int fd, const Deadline* deadline) {
  uint32_t head[2];
  SF_RETURN_IF_ERROR(ReadAll(fd, reinterpret_cast<char*>(head), sizeof(head), deadline));
  if (head[1] > kMaxMessageBytes)
    return Status(SF_ERR_TOO_LARGE, "lua worker message over the 64 MiB limit");
  Message m;
  m.type = static_cast<MsgType>(head[0]);
  m.payload.resize(head[1]);
  SF_RETURN_IF_ERROR(ReadAll(fd, m.payload.data(), m.payload.size(), deadline));
  return m;
}

}  // namespace sf::lua
