#include "app/service.h"

namespace sf::app {

std::vector<ServiceSpec>& Services() {
  static std::vector<ServiceSpec> services;
  return services;
}

}  // namespace sf::app
