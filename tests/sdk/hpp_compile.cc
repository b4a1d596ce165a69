// Compiled alone by the sdk.hpp_cxx17 test: the C++ helper header must build
// with g++ -std=c++17 -Wall -Wextra -Werror -pedantic and nothing else.
#include "signalforge/signalforge.hpp"

int main() {
  sf_status s = sf::sdk::Guard([] { throw sf::sdk::Error(SF_ERR_IO, "x"); });
  return s == SF_ERR_IO ? 0 : 1;
}
