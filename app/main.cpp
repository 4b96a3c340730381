// Entry point: no arguments starts the window; anything else is a CLI command.

#include "app/Cli.h"
#include "app/GuiLauncher.h"

int main(int argc, char **argv)
{
    if (airlock::Cli::wantsGui(argc, argv))
        return airlock::GuiLauncher::run(argc, argv);
    return airlock::Cli::run(argc, argv);
}
