// The preview drives its own event loop: SDL must not replace main().
#define SDL_MAIN_HANDLED
#include <SDL2/SDL.h>

// Chosen by byte order in a macro, which Swift cannot import.
static const Uint32 matte_SDL_PIXELFORMAT_RGBA32 = SDL_PIXELFORMAT_RGBA32;
