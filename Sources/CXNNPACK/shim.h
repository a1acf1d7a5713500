// Debian's libxnnpack-dev does not pull in pthreadpool's header, which xnnpack.h includes.
#include <pthreadpool.h>
#include <xnnpack.h>

// Macros Swift cannot import.
static const uint32_t matte_xnn_invalid_value_id = XNN_INVALID_VALUE_ID;
static const uint32_t matte_xnn_value_flag_external_input = XNN_VALUE_FLAG_EXTERNAL_INPUT;
static const uint32_t matte_xnn_value_flag_external_output = XNN_VALUE_FLAG_EXTERNAL_OUTPUT;
static const uint32_t matte_xnn_flag_tensorflow_same_padding = XNN_FLAG_TENSORFLOW_SAME_PADDING;
