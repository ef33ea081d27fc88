#include "schema/version.hpp"
