#include "plugins/elf_check.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace sf::plugins {
namespace {

#if defined(__x86_64__)
constexpr int kHostMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr int kHostMachine = EM_AARCH64;
#else
constexpr int kHostMachine = -1;  // unknown: not checked
#endif

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

bool ReadAt(int fd, void* buf, size_t n, off_t at) {
  auto* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t r = ::pread(fd, p, n, at);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
    at += r;
  }
  return true;
}

}  // namespace

std::string CheckElfFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return std::string("cannot open: ") + std::strerror(errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return std::string("cannot stat: ") + std::strerror(errno);
  if (!S_ISREG(st.st_mode)) return "not a regular file";
  const uint64_t size = static_cast<uint64_t>(st.st_size);

  unsigned char ident[EI_NIDENT] = {};
  size_t have = static_cast<size_t>(std::min<uint64_t>(size, EI_NIDENT));
  if (have > 0 && !ReadAt(fd.get(), ident, have, 0)) {
    return std::string("cannot read: ") + std::strerror(errno);
  }
  if (have < SELFMAG || std::memcmp(ident, ELFMAG, SELFMAG) != 0) {
    return "not an ELF shared object (bad magic" +
           std::string(size == 0 ? "; the file is empty)" : ")");
  }
  if (size < sizeof(Elf64_Ehdr)) {
    return "truncated ELF file (" + std::to_string(size) + " bytes, smaller than an ELF header)";
  }
  if (ident[EI_CLASS] != ELFCLASS64) {
    return "wrong ELF class: not a 64-bit object (the host is 64-bit)";
  }
  if (ident[EI_DATA] != ELFDATA2LSB) return "wrong ELF byte order (the host is little-endian)";
  Elf64_Ehdr eh;
  if (!ReadAt(fd.get(), &eh, sizeof eh, 0)) return "cannot read the ELF header";
  if (eh.e_type != ET_DYN) {
    return "not a shared object (ELF type " + std::to_string(eh.e_type) +
           (eh.e_type == ET_EXEC ? ", an executable" : eh.e_type == ET_REL ? ", an object file" : "") +
           ")";
  }
  if (kHostMachine >= 0 && eh.e_machine != kHostMachine) {
    return "built for another machine (ELF e_machine " + std::to_string(eh.e_machine) +
           ", host " + std::to_string(kHostMachine) + ")";
  }
  uint64_t need = sizeof(Elf64_Ehdr);
  const uint64_t ph_end = eh.e_phoff + uint64_t{eh.e_phnum} * eh.e_phentsize;
  const uint64_t sh_end = eh.e_shoff + uint64_t{eh.e_shnum} * eh.e_shentsize;
  need = std::max({need, ph_end, sh_end});
  if (ph_end <= size && eh.e_phentsize == sizeof(Elf64_Phdr)) {
    std::vector<Elf64_Phdr> ph(eh.e_phnum);
    if (!ph.empty() && !ReadAt(fd.get(), ph.data(), ph.size() * sizeof(Elf64_Phdr), eh.e_phoff)) {
      return "cannot read the ELF program headers";
    }
    for (const auto& p : ph) {
      if (p.p_type == PT_LOAD || p.p_type == PT_DYNAMIC) need = std::max(need, p.p_offset + p.p_filesz);
    }
  }
  if (size < need) {
    return "truncated ELF file (" + std::to_string(size) + " bytes; its headers need " +
           std::to_string(need) + ")";
  }
  return {};
}

}  // namespace sf::plugins
