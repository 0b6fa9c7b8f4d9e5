#include "solver/cli/cli.hpp"

int main(int argc, char** argv) { return ionflux::cli_main(argc, argv); }
