// Catch2's own main; kept alone so the tests recompile without it.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
