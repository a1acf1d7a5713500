#!/usr/bin/env python3
"""Lists and opens a V4L2 camera exactly as Chromium and Firefox do, and checks that they would offer it.

    browser-v4l2.py [--device /dev/video20] [--label Matte] [--size WxH] [--fps N] [--format yuyv|i420]
                    [--frames N] [--pixel X,Y,R,G,B[,TOLERANCE]] [--within SECONDS] [--only chromium|firefox]
                    [--list-only]

No browser runs under the VM's emulated CPU, so this stands in for one (standard library only: fcntl.ioctl on
ctypes structures). Each browser's rules are followed ioctl by ioctl, as their sources have them:

Chromium (media/capture/video/linux/, VideoCaptureDeviceFactoryV4L2 and V4L2CaptureDelegate):
  - GetDevicesInfo: every /dev/video* opened O_RDONLY; QUERYCAP; kept when
      (capabilities has VIDEO_CAPTURE and not VIDEO_OUTPUT) or
      (capabilities has DEVICE_CAPS and device_caps has VIDEO_CAPTURE and not VIDEO_OUTPUT)
    ("capture and output at once = memory-to-memory, skipped", crbug.com/139356), and HasUsableFormats:
    `capabilities` has VIDEO_CAPTURE and ENUM_FMT(CAPTURE) lists a fourcc of GetListOfUsableFourCcs
    (YU12, NV12, Y16, Z16, INVZ, YUYV, RGB3, MJPG, JPEG). Display name: /sys/class/video4linux/videoN/device/
    interface (USB cameras), else QUERYCAP's card.
  - GetSupportedFormatsForV4L2BufferType: per ENUM_FMT format that maps to a Chromium pixel format,
    ENUM_FRAMESIZES: only DISCRETE sizes count (STEPWISE/CONTINUOUS: skipped, crbug.com/249953); per size,
    ENUM_FRAMEINTERVALS: DISCRETE intervals with numerator != 0 give rate = den/num; a STEPWISE/CONTINUOUS one
    stops the list; no rate at all gives rate 0. A device with no format left is not listed.
  - AllocateAndStart(width, height, rate): open O_RDWR; controls reset (S_CTRL AUTO_WHITE_BALANCE first: when it
    fails, nothing else); QUERYCAP rule again; the best ENUM_FMT fourcc in preference order (MJPEG first when
    width > 640 or height > 480); S_FMT(width, height, fourcc) must succeed and return a known fourcc; G_PARM:
    when it has TIMEPERFRAME, S_PARM(10000 / rate*10000) must succeed; S_CTRL power line frequency (errors
    ignored); StartStream: REQBUFS(4, MMAP), per buffer QUERYBUF + mmap + QBUF, STREAMON.
  - DoCapture: poll(POLLIN|POLLPRI, 1000 ms); the first timeout restarts the stream, 10 in a row are an error;
    DQBUF; a buffer with V4L2_BUF_FLAG_ERROR or bytesused < VideoFrame::AllocationSize(format, S_FMT's size) is
    dropped; QBUF.
Firefox (third_party/libwebrtc/modules/video_capture/linux/, DeviceInfoV4l2 and VideoCaptureModuleV4L2):
  - NumberOfDevices/GetDeviceName: /dev/video0 .. /dev/video63 only, opened O_RDONLY; QUERYCAP; kept when
    IsVideoCaptureDevice: device_caps (if DEVICE_CAPS is set, else capabilities) has VIDEO_CAPTURE (VIDEO_OUTPUT
    is not looked at). Name: card; unique id: bus_info (else "fake_N").
  - CreateCapabilityMap/FillCapabilities: no ENUM_FMT, ENUM_FRAMESIZES or ENUM_FRAMEINTERVALS: TRY_FMT (one
    v4l2_format reused throughout) for 15 fourccs x 13 fixed sizes (128x96 .. 1920x1080); a pair counts when
    TRY_FMT succeeds and returns the same width and height (the returned fourcc is not compared); maxFPS is a
    guess: 15 when width >= 800 and not MJPEG, else 30. With no capability Firefox treats the camera as
    accepting any size (MediaEngineRemoteVideoSource::NumCapabilities) and asks for 640x480 at 30.
  - StartCapture: open O_RDWR|O_NONBLOCK; ENUM_FMT; the first fourcc of its preference list (I420 first, or
    MJPEG first above 640x480) the device lists; S_FMT(width, height, fourcc) must succeed; frames are read as
    that fourcc at S_FMT's width and height (so S_FMT must not change the fourcc); G_PARM, S_PARM(1/maxFPS)
    (errors ignored); REQBUFS(4, MMAP), QUERYBUF + mmap + QBUF each, STREAMON.
  - CaptureProcess: poll(POLLIN, 1000 ms), DQBUF (non-blocking), IncomingFrame: a frame shorter than
    CalcBufferSize(type, width, height) is refused ("Wrong incoming frame length"); QBUF. libwebrtc assumes
    stride = width (bytesperline must be the packed row).

Checks: the device is listed by both with the label; the size (and for Chromium the rate) Matte writes is
offered in a format both accept; both start capture and read --frames frames of the right size (and, with
--pixel, a pixel has the colour within --within seconds). Exit 0 when all hold; 1 with one line
"browser-v4l2: FAIL RULE: why" (stderr and stdout) at the first rule broken; 2 on a usage error.
"""
import argparse
import ctypes
import errno
import fcntl
import glob
import mmap
import os
import re
import select
import sys
import time

# ---- <linux/videodev2.h> ---------------------------------------------------------------------------------------------

def fourcc(code):
    return code[0] | code[1] << 8 | code[2] << 16 | code[3] << 24


def fourcc_name(value):
    return ''.join(chr((value >> shift) & 0xff) for shift in (0, 8, 16, 24))


V4L2_CAP_VIDEO_CAPTURE = 0x00000001
V4L2_CAP_VIDEO_OUTPUT = 0x00000002
V4L2_CAP_DEVICE_CAPS = 0x80000000
BUF_TYPE_CAPTURE = 1
MEMORY_MMAP = 1
FRMSIZE_DISCRETE, FRMSIZE_CONTINUOUS, FRMSIZE_STEPWISE = 1, 2, 3
FRMIVAL_DISCRETE, FRMIVAL_CONTINUOUS, FRMIVAL_STEPWISE = 1, 2, 3
V4L2_CAP_TIMEPERFRAME = 0x1000
V4L2_BUF_FLAG_ERROR = 0x40
V4L2_CID_BASE = 0x00980900
V4L2_CID_AUTO_WHITE_BALANCE = V4L2_CID_BASE + 12
V4L2_CID_POWER_LINE_FREQUENCY = V4L2_CID_BASE + 24
V4L2_CID_POWER_LINE_FREQUENCY_AUTO = 3
V4L2_CID_CAMERA_CLASS_BASE = 0x009a0900
V4L2_CID_PAN_ABSOLUTE = V4L2_CID_CAMERA_CLASS_BASE + 8
V4L2_CID_TILT_ABSOLUTE = V4L2_CID_CAMERA_CLASS_BASE + 9
V4L2_CID_ZOOM_ABSOLUTE = V4L2_CID_CAMERA_CLASS_BASE + 13
V4L2_CTRL_TYPE_INTEGER = 1


class Capability(ctypes.Structure):
    _fields_ = [('driver', ctypes.c_char * 16), ('card', ctypes.c_char * 32), ('bus_info', ctypes.c_char * 32),
                ('version', ctypes.c_uint32), ('capabilities', ctypes.c_uint32), ('device_caps', ctypes.c_uint32),
                ('reserved', ctypes.c_uint32 * 3)]


class FmtDesc(ctypes.Structure):
    _fields_ = [('index', ctypes.c_uint32), ('type', ctypes.c_uint32), ('flags', ctypes.c_uint32),
                ('description', ctypes.c_char * 32), ('pixelformat', ctypes.c_uint32), ('mbus_code', ctypes.c_uint32),
                ('reserved', ctypes.c_uint32 * 3)]


class PixFormat(ctypes.Structure):
    _fields_ = [('width', ctypes.c_uint32), ('height', ctypes.c_uint32), ('pixelformat', ctypes.c_uint32),
                ('field', ctypes.c_uint32), ('bytesperline', ctypes.c_uint32), ('sizeimage', ctypes.c_uint32),
                ('colorspace', ctypes.c_uint32), ('priv', ctypes.c_uint32), ('flags', ctypes.c_uint32),
                ('ycbcr_enc', ctypes.c_uint32), ('quantization', ctypes.c_uint32), ('xfer_func', ctypes.c_uint32)]


class FormatUnion(ctypes.Union):
    # 200 bytes; v4l2_window holds pointers, so the union is 8-byte aligned (v4l2_format is 208 bytes on x86-64).
    _fields_ = [('pix', PixFormat), ('raw_data', ctypes.c_uint8 * 200), ('_align', ctypes.c_void_p)]


class Format(ctypes.Structure):
    _fields_ = [('type', ctypes.c_uint32), ('fmt', FormatUnion)]


class Fract(ctypes.Structure):
    _fields_ = [('numerator', ctypes.c_uint32), ('denominator', ctypes.c_uint32)]


class FrmSizeDiscrete(ctypes.Structure):
    _fields_ = [('width', ctypes.c_uint32), ('height', ctypes.c_uint32)]


class FrmSizeStepwise(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint32) for name in
                ('min_width', 'max_width', 'step_width', 'min_height', 'max_height', 'step_height')]


class FrmSizeUnion(ctypes.Union):
    _fields_ = [('discrete', FrmSizeDiscrete), ('stepwise', FrmSizeStepwise)]


class FrmSizeEnum(ctypes.Structure):
    _anonymous_ = ('u',)
    _fields_ = [('index', ctypes.c_uint32), ('pixel_format', ctypes.c_uint32), ('type', ctypes.c_uint32),
                ('u', FrmSizeUnion), ('reserved', ctypes.c_uint32 * 2)]


class FrmIvalStepwise(ctypes.Structure):
    _fields_ = [('min', Fract), ('max', Fract), ('step', Fract)]


class FrmIvalUnion(ctypes.Union):
    _fields_ = [('discrete', Fract), ('stepwise', FrmIvalStepwise)]


class FrmIvalEnum(ctypes.Structure):
    _anonymous_ = ('u',)
    _fields_ = [('index', ctypes.c_uint32), ('pixel_format', ctypes.c_uint32), ('width', ctypes.c_uint32),
                ('height', ctypes.c_uint32), ('type', ctypes.c_uint32), ('u', FrmIvalUnion),
                ('reserved', ctypes.c_uint32 * 2)]


class CaptureParm(ctypes.Structure):
    _fields_ = [('capability', ctypes.c_uint32), ('capturemode', ctypes.c_uint32), ('timeperframe', Fract),
                ('extendedmode', ctypes.c_uint32), ('readbuffers', ctypes.c_uint32), ('reserved', ctypes.c_uint32 * 4)]


class StreamParmUnion(ctypes.Union):
    _fields_ = [('capture', CaptureParm), ('raw_data', ctypes.c_uint8 * 200)]


class StreamParm(ctypes.Structure):
    _fields_ = [('type', ctypes.c_uint32), ('parm', StreamParmUnion)]


class RequestBuffers(ctypes.Structure):
    _fields_ = [('count', ctypes.c_uint32), ('type', ctypes.c_uint32), ('memory', ctypes.c_uint32),
                ('capabilities', ctypes.c_uint32), ('flags', ctypes.c_uint8), ('reserved', ctypes.c_uint8 * 3)]


class Timeval(ctypes.Structure):
    _fields_ = [('tv_sec', ctypes.c_long), ('tv_usec', ctypes.c_long)]


class Timecode(ctypes.Structure):
    _fields_ = [('type', ctypes.c_uint32), ('flags', ctypes.c_uint32), ('frames', ctypes.c_uint8),
                ('seconds', ctypes.c_uint8), ('minutes', ctypes.c_uint8), ('hours', ctypes.c_uint8),
                ('userbits', ctypes.c_uint8 * 4)]


class BufferM(ctypes.Union):
    _fields_ = [('offset', ctypes.c_uint32), ('userptr', ctypes.c_ulong), ('planes', ctypes.c_void_p),
                ('fd', ctypes.c_int32)]


class Buffer(ctypes.Structure):
    _fields_ = [('index', ctypes.c_uint32), ('type', ctypes.c_uint32), ('bytesused', ctypes.c_uint32),
                ('flags', ctypes.c_uint32), ('field', ctypes.c_uint32), ('timestamp', Timeval),
                ('timecode', Timecode), ('sequence', ctypes.c_uint32), ('memory', ctypes.c_uint32), ('m', BufferM),
                ('length', ctypes.c_uint32), ('reserved2', ctypes.c_uint32), ('request_fd', ctypes.c_int32)]


class Control(ctypes.Structure):
    _fields_ = [('id', ctypes.c_uint32), ('value', ctypes.c_int32)]


class QueryCtrl(ctypes.Structure):
    _fields_ = [('id', ctypes.c_uint32), ('type', ctypes.c_uint32), ('name', ctypes.c_char * 32),
                ('minimum', ctypes.c_int32), ('maximum', ctypes.c_int32), ('step', ctypes.c_int32),
                ('default_value', ctypes.c_int32), ('flags', ctypes.c_uint32), ('reserved', ctypes.c_uint32 * 2)]


SIZES = {Capability: 104, FmtDesc: 64, Format: 208, FrmSizeEnum: 44, FrmIvalEnum: 52, StreamParm: 204,
         RequestBuffers: 20, Buffer: 88, Control: 8, QueryCtrl: 68}
for _struct, _size in SIZES.items():
    assert ctypes.sizeof(_struct) == _size, f'{_struct.__name__} is {ctypes.sizeof(_struct)} bytes, not {_size}'


def _ioc(direction, number, size):
    return direction << 30 | size << 16 | ord('V') << 8 | number


_R, _W, _RW = 2, 1, 3
VIDIOC_QUERYCAP = _ioc(_R, 0, 104)
VIDIOC_ENUM_FMT = _ioc(_RW, 2, 64)
VIDIOC_S_FMT = _ioc(_RW, 5, 208)
VIDIOC_REQBUFS = _ioc(_RW, 8, 20)
VIDIOC_QUERYBUF = _ioc(_RW, 9, 88)
VIDIOC_QBUF = _ioc(_RW, 15, 88)
VIDIOC_DQBUF = _ioc(_RW, 17, 88)
VIDIOC_STREAMON = _ioc(_W, 18, 4)
VIDIOC_STREAMOFF = _ioc(_W, 19, 4)
VIDIOC_G_PARM = _ioc(_RW, 21, 204)
VIDIOC_S_PARM = _ioc(_RW, 22, 204)
VIDIOC_S_CTRL = _ioc(_RW, 28, 8)
VIDIOC_QUERYCTRL = _ioc(_RW, 36, 68)
VIDIOC_TRY_FMT = _ioc(_RW, 64, 208)
VIDIOC_ENUM_FRAMESIZES = _ioc(_RW, 74, 44)
VIDIOC_ENUM_FRAMEINTERVALS = _ioc(_RW, 75, 52)
assert VIDIOC_S_FMT == 0xc0d05605 and VIDIOC_QBUF == 0xc058560f and VIDIOC_QUERYCAP == 0x80685600


def ioctl(fd, request, value):
    """0 on success, else the errno (EINTR retried, as HANDLE_EINTR does)."""
    while True:
        try:
            fcntl.ioctl(fd, request, value, True)
            return 0
        except InterruptedError:
            continue
        except OSError as error:
            return error.errno


def querycap(fd):
    cap = Capability()
    return cap if ioctl(fd, VIDIOC_QUERYCAP, cap) == 0 else None


def enum_fmt(fd):
    formats, desc = [], FmtDesc(type=BUF_TYPE_CAPTURE)
    while ioctl(fd, VIDIOC_ENUM_FMT, desc) == 0:
        formats.append(desc.pixelformat)
        desc.index += 1
    return formats


def cstr(raw):
    return raw.decode('utf-8', 'replace')


# ---- the rules' outcome -------------------------------------------------------------------------------------------------

class RuleFailed(Exception):
    def __init__(self, rule, why):
        super().__init__(f'{rule}: {why}')
        self.rule, self.why = rule, why


def say(line):
    print(line, flush=True)


# ---- Chromium ------------------------------------------------------------------------------------------------------------

# media/capture/video/linux/v4l2_capture_delegate.cc, kSupportedFormatsAndPlanarity (in preference order).
CHROMIUM_FORMATS = [(fourcc(b'YU12'), 'I420'), (fourcc(b'NV12'), 'NV12'), (fourcc(b'Y16 '), 'Y16'),
                    (fourcc(b'Z16 '), 'Y16'), (fourcc(b'INVZ'), 'Y16'), (fourcc(b'YUYV'), 'YUY2'),
                    (fourcc(b'RGB3'), 'RGB24'), (fourcc(b'MJPG'), 'MJPEG'), (fourcc(b'JPEG'), 'MJPEG')]
CHROMIUM_PIXEL = dict(reversed(CHROMIUM_FORMATS))   # fourcc -> Chromium's pixel format
MJPEG = fourcc(b'MJPG')


def chromium_usable_fourccs(prefer_mjpeg):
    """V4L2CaptureDelegate::GetListOfUsableFourCcs."""
    return ([MJPEG] if prefer_mjpeg else []) + [code for code, _ in CHROMIUM_FORMATS]


def chromium_allocation_size(pixel, width, height):
    """media::VideoFrame::AllocationSize for the formats above (planes rounded up to whole samples)."""
    even_w, even_h = (width + 1) // 2 * 2, (height + 1) // 2 * 2
    if pixel in ('I420', 'NV12'):
        return even_w * even_h * 3 // 2 if (width % 2 or height % 2) else width * height * 3 // 2
    if pixel == 'YUY2':
        return even_w * height * 2
    if pixel == 'RGB24':
        return width * height * 3
    if pixel == 'Y16':
        return width * height * 2
    return 0   # MJPEG: any length


def chromium_querycap_ok(cap):
    """The capture-only test of GetDevicesInfo and AllocateAndStart."""
    c, d = cap.capabilities, cap.device_caps
    return ((c & V4L2_CAP_VIDEO_CAPTURE and not c & V4L2_CAP_VIDEO_OUTPUT) or
            (c & V4L2_CAP_DEVICE_CAPS and d & V4L2_CAP_VIDEO_CAPTURE and not d & V4L2_CAP_VIDEO_OUTPUT))


def chromium_frame_rates(fd, code, width, height):
    """VideoCaptureDeviceFactoryV4L2::GetFrameRateList."""
    rates, ival = [], FrmIvalEnum(pixel_format=code, width=width, height=height)
    while ioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, ival) == 0:
        if ival.type == FRMIVAL_DISCRETE:
            if ival.discrete.numerator != 0:
                rates.append(ival.discrete.denominator / ival.discrete.numerator)
        elif ival.type in (FRMIVAL_CONTINUOUS, FRMIVAL_STEPWISE):
            break
        ival.index += 1
    return rates or [0.0]


def chromium_supported_formats(fd):
    """GetSupportedFormatsForV4L2BufferType: [(pixel, fourcc, width, height, rate)], and the sizes it skipped."""
    formats, skipped = [], []
    desc = FmtDesc(type=BUF_TYPE_CAPTURE)
    while ioctl(fd, VIDIOC_ENUM_FMT, desc) == 0:
        pixel = CHROMIUM_PIXEL.get(desc.pixelformat)
        if pixel is not None:
            size = FrmSizeEnum(pixel_format=desc.pixelformat)
            while ioctl(fd, VIDIOC_ENUM_FRAMESIZES, size) == 0:
                if size.type == FRMSIZE_DISCRETE:
                    width, height = size.discrete.width, size.discrete.height
                    for rate in chromium_frame_rates(fd, desc.pixelformat, width, height):
                        formats.append((pixel, desc.pixelformat, width, height, rate))
                else:
                    kind = 'stepwise' if size.type == FRMSIZE_STEPWISE else 'continuous'
                    skipped.append(f'{fourcc_name(desc.pixelformat)} {kind} sizes')
                size.index += 1
        else:
            skipped.append(fourcc_name(desc.pixelformat).strip())
        desc.index += 1
    return formats, skipped


def chromium_display_name(path, cap):
    node = os.path.basename(path)
    try:
        with open(f'/sys/class/video4linux/{node}/device/interface', 'rb') as interface:
            name = interface.read(256)
            if name:
                return name.decode('utf-8', 'replace')
    except OSError:
        pass
    return cstr(cap.card)


def chromium_model_id(path):
    node = os.path.basename(path)
    try:
        with open(f'/sys/class/video4linux/{node}/device/../idVendor', 'rb') as vendor:
            vid = vendor.read(4)
        with open(f'/sys/class/video4linux/{node}/device/../idProduct', 'rb') as product:
            pid = product.read(4)
        return f'{vid.decode()}:{pid.decode()}' if len(vid) == 4 and len(pid) == 4 else ''
    except OSError:
        return ''


def chromium_list():
    """GetDevicesInfo over every /dev/video*: {path: (name, model, formats)}, and why others were left out."""
    listed, left_out = {}, {}
    for path in sorted(glob.glob('/dev/video*')):
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as error:
            left_out[path] = f'cannot open ({error.strerror})'
            continue
        try:
            cap = querycap(fd)
            if cap is None:
                left_out[path] = 'QUERYCAP failed'
                continue
            if not chromium_querycap_ok(cap):
                left_out[path] = (f'QUERYCAP capabilities 0x{cap.capabilities:08x}, device_caps 0x{cap.device_caps:08x}: '
                                  + caps_problem(cap))
                continue
            usable = chromium_usable_fourccs(False)
            found = [code for code in enum_fmt(fd)]
            if not cap.capabilities & V4L2_CAP_VIDEO_CAPTURE or not any(code in usable for code in found):
                left_out[path] = ('HasUsableFormats: no usable ENUM_FMT format (device lists '
                                  f'{", ".join(map(fourcc_name, found)) or "none"})')
                continue
            formats, skipped = chromium_supported_formats(fd)
            if not formats:
                left_out[path] = 'no supported format: ' + ('; '.join(skipped) or 'no discrete size')
                continue
            listed[path] = (chromium_display_name(path, cap), chromium_model_id(path), formats, skipped)
            control_support(fd)   # GetControlSupport: pan, tilt, zoom (no effect on listing)
        finally:
            os.close(fd)
    return listed, left_out


def caps_problem(cap):
    c, d = cap.capabilities, cap.device_caps
    caps = d if c & V4L2_CAP_DEVICE_CAPS else c
    if not caps & V4L2_CAP_VIDEO_CAPTURE:
        return 'no VIDEO_CAPTURE (v4l2loopback with exclusive_caps=1 before any producer has written)'
    if caps & V4L2_CAP_VIDEO_OUTPUT:
        return ('VIDEO_CAPTURE together with VIDEO_OUTPUT: taken for a memory-to-memory device and skipped '
                '(crbug.com/139356; v4l2loopback needs exclusive_caps=1)')
    return 'not a capture device'


def control_support(fd):
    for control in (V4L2_CID_PAN_ABSOLUTE, V4L2_CID_TILT_ABSOLUTE, V4L2_CID_ZOOM_ABSOLUTE):
        ioctl(fd, VIDIOC_QUERYCTRL, QueryCtrl(id=control, type=V4L2_CTRL_TYPE_INTEGER))


# ---- Firefox (libwebrtc) -------------------------------------------------------------------------------------------------

# device_info_v4l2.cc, FillCapabilities (probe order) and the VideoType each maps to.
FIREFOX_PROBE_FORMATS = [(b'MJPG', 'MJPEG'), (b'JPEG', 'MJPEG'), (b'YU12', 'I420'), (b'YV12', 'YV12'),
                         (b'YUYV', 'YUY2'), (b'UYVY', 'UYVY'), (b'NV12', 'NV12'), (b'BGR3', 'RGB24'),
                         (b'RGB3', 'BGR24'), (b'RGBP', 'RGB565'), (b'AR24', 'ARGB'), (b'BA24', 'BGRA'),
                         (b'AB24', 'ABGR'), (b'BGR4', 'ARGB'), (b'RGB4', 'BGRA')]
FIREFOX_TYPE = {fourcc(code): kind for code, kind in FIREFOX_PROBE_FORMATS}
FIREFOX_SIZES = [(128, 96), (160, 120), (176, 144), (320, 240), (352, 288), (640, 480), (704, 576), (800, 600),
                 (960, 720), (1280, 720), (1024, 768), (1440, 1080), (1920, 1080)]
# video_capture_v4l2.cc, StartCapture: preference when the request is at most 640x480, and above it.
FIREFOX_SD = [b'YU12', b'YV12', b'YUYV', b'UYVY', b'NV12', b'AR24', b'BA24', b'AB24', b'BGR4', b'RGB4', b'BGR3',
              b'RGB3', b'RGBP', b'MJPG', b'JPEG']
FIREFOX_HD = [b'MJPG', b'YU12', b'YV12', b'YUYV', b'UYVY', b'NV12', b'AR24', b'BA24', b'AB24', b'BGR4', b'RGB4',
              b'BGR3', b'RGB3', b'RGBP', b'JPEG']


def firefox_buffer_size(kind, width, height):
    """webrtc::CalcBufferSize."""
    if kind in ('I420', 'YV12', 'NV12'):
        half_w, half_h = (width + 1) >> 1, (height + 1) >> 1
        return width * height + half_w * half_h * 2
    if kind in ('YUY2', 'UYVY', 'RGB565'):
        return width * height * 2
    if kind in ('RGB24', 'BGR24'):
        return width * height * 3
    if kind in ('ARGB', 'BGRA', 'ABGR'):
        return width * height * 4
    return 0   # MJPEG: not checked


def firefox_is_capture(cap):
    """DeviceInfoV4l2::IsVideoCaptureDevice."""
    caps = cap.device_caps if cap.capabilities & V4L2_CAP_DEVICE_CAPS else cap.capabilities
    return bool(caps & V4L2_CAP_VIDEO_CAPTURE)


def firefox_capabilities(fd):
    """FillCapabilities: [(kind, fourcc, width, height, maxFPS)]."""
    found, fmt = [], Format(type=BUF_TYPE_CAPTURE)
    fmt.fmt.pix.sizeimage = 0
    for code, kind in FIREFOX_PROBE_FORMATS:
        for width, height in FIREFOX_SIZES:
            fmt.fmt.pix.pixelformat = fourcc(code)
            fmt.fmt.pix.width, fmt.fmt.pix.height = width, height
            if ioctl(fd, VIDIOC_TRY_FMT, fmt) == 0 and (fmt.fmt.pix.width, fmt.fmt.pix.height) == (width, height):
                fps = 15 if width >= 800 and kind != 'MJPEG' else 30
                found.append((kind, fourcc(code), width, height, fps))
    return found


def firefox_list():
    """NumberOfDevices + GetDeviceName + CreateCapabilityMap over /dev/video0..63."""
    listed, left_out = {}, {}
    for number in range(64):
        path = f'/dev/video{number}'
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as error:
            if error.errno != errno.ENOENT:
                left_out[path] = f'cannot open ({error.strerror})'
            continue
        try:
            cap = querycap(fd)
            if cap is None or not firefox_is_capture(cap):
                left_out[path] = ('QUERYCAP failed' if cap is None else
                                  f'device_caps 0x{cap.device_caps:08x}: no VIDEO_CAPTURE (IsVideoCaptureDevice)')
                continue
            unique = cstr(cap.bus_info) if cap.bus_info else f'fake_{number}'
            listed[path] = (cstr(cap.card), unique, firefox_capabilities(fd))
        finally:
            os.close(fd)
    for path in glob.glob('/dev/video*'):
        if not re.fullmatch(r'/dev/video([0-9]|[1-5][0-9]|6[0-3])', path):
            left_out[path] = 'Firefox only looks at /dev/video0 to /dev/video63'
    return listed, left_out


# ---- capture, as each browser starts it -----------------------------------------------------------------------------

class Stream:
    """REQBUFS(4, MMAP), QUERYBUF + mmap + QBUF per buffer, STREAMON; STREAMOFF, munmap, REQBUFS(0) on stop."""

    def __init__(self, fd, rule):
        self.fd, self.rule, self.maps = fd, rule, []
        request = RequestBuffers(count=4, type=BUF_TYPE_CAPTURE, memory=MEMORY_MMAP)
        if (error := ioctl(fd, VIDIOC_REQBUFS, request)) != 0:
            raise RuleFailed(rule, f'REQBUFS(4, MMAP) failed: {os.strerror(error)}')
        if request.count == 0:
            raise RuleFailed(rule, 'REQBUFS(4, MMAP) gave no buffer')
        self.count = min(request.count, 4)
        for index in range(self.count):
            buffer = Buffer(index=index, type=BUF_TYPE_CAPTURE, memory=MEMORY_MMAP)
            if (error := ioctl(fd, VIDIOC_QUERYBUF, buffer)) != 0:
                raise RuleFailed(rule, f'QUERYBUF {index} failed: {os.strerror(error)}')
            try:
                self.maps.append(mmap.mmap(fd, buffer.length, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE,
                                           offset=buffer.m.offset))
            except OSError as error:
                raise RuleFailed(rule, f'mmap of buffer {index} ({buffer.length} bytes) failed: {error}') from None
            if (error := ioctl(fd, VIDIOC_QBUF, buffer)) != 0:
                raise RuleFailed(rule, f'QBUF {index} failed: {os.strerror(error)}')
        kind = ctypes.c_int(BUF_TYPE_CAPTURE)
        if (error := ioctl(fd, VIDIOC_STREAMON, kind)) != 0:
            raise RuleFailed(rule, f'STREAMON failed: {os.strerror(error)}')

    def stop(self):
        ioctl(self.fd, VIDIOC_STREAMOFF, ctypes.c_int(BUF_TYPE_CAPTURE))
        for mapped in self.maps:
            mapped.close()
        self.maps = []
        ioctl(self.fd, VIDIOC_REQBUFS, RequestBuffers(count=0, type=BUF_TYPE_CAPTURE, memory=MEMORY_MMAP))


def rgb_at(data, pixel, width, height, x, y):
    """(R, G, B) of pixel (x, y), BT.601 limited range (as ffmpeg converts it)."""
    if pixel == 'YUY2':
        base = y * width * 2 + (x // 2) * 4
        luma, u, v = data[base + (x % 2) * 2], data[base + 1], data[base + 3]
    elif pixel == 'I420':
        luma = data[y * width + x]
        chroma_w = (width + 1) // 2
        u_plane = width * height
        v_plane = u_plane + chroma_w * ((height + 1) // 2)
        u, v = data[u_plane + (y // 2) * chroma_w + x // 2], data[v_plane + (y // 2) * chroma_w + x // 2]
    else:
        return None
    c, d, e = 1.164 * (luma - 16), u - 128, v - 128
    clamp = lambda value: max(0, min(255, round(value)))
    return clamp(c + 1.596 * e), clamp(c - 0.392 * d - 0.813 * e), clamp(c + 2.017 * d)


def read_frames(fd, stream, rule, pixel, width, height, need, args, restart=None, nonblocking=False):
    """Reads frames the way each browser's capture loop does; returns (accepted, dropped, last colour)."""
    accepted = dropped = timeouts = 0
    colour_ok = args.pixel is None
    colour = None
    deadline = time.monotonic() + args.within
    while accepted < args.frames or not colour_ok:
        if time.monotonic() > deadline:
            if accepted < args.frames:
                raise RuleFailed(rule, f'{accepted} of {args.frames} frames in {args.within:g} s ({dropped} dropped)')
            raise RuleFailed('pixel', f'pixel ({args.pixel[0]}, {args.pixel[1]}) is {colour}, not within '
                                      f'{args.pixel[5]} of {tuple(args.pixel[2:5])} after {args.within:g} s')
        poller = select.poll()
        poller.register(fd, select.POLLIN | (select.POLLPRI if restart else 0))
        events = poller.poll(1000)
        if not events:
            timeouts += 1
            if restart is not None:   # Chromium: the first timeout restarts the stream, 10 in a row fail
                if timeouts == 1:
                    stream = restart(stream)
                    continue
                if timeouts >= 10:
                    raise RuleFailed(rule, 'poll timed out 10 times in a row (kV4L2MultipleContinuousTimeoutsWhileReadPolling)')
            continue
        timeouts = 0
        if not events[0][1] & select.POLLIN:
            continue
        buffer = Buffer(type=BUF_TYPE_CAPTURE, memory=MEMORY_MMAP)
        if (error := ioctl(fd, VIDIOC_DQBUF, buffer)) != 0:
            if nonblocking and error == errno.EAGAIN:
                continue
            raise RuleFailed(rule, f'DQBUF failed: {os.strerror(error)}')
        required = need(pixel, width, height)
        if buffer.flags & V4L2_BUF_FLAG_ERROR or buffer.bytesused < required:
            dropped += 1
            say(f'  {rule}: frame {buffer.sequence} dropped: bytesused {buffer.bytesused}, needs {required}'
                + (', V4L2_BUF_FLAG_ERROR' if buffer.flags & V4L2_BUF_FLAG_ERROR else ''))
        else:
            accepted += 1
            data = stream.maps[buffer.index]
            if args.pixel is not None:
                colour = rgb_at(data, pixel, width, height, args.pixel[0], args.pixel[1])
                colour_ok = colour is not None and all(abs(a - b) <= args.pixel[5]
                                                      for a, b in zip(colour, args.pixel[2:5]))
        if (error := ioctl(fd, VIDIOC_QBUF, buffer)) != 0:
            raise RuleFailed(rule, f'QBUF failed: {os.strerror(error)}')
    return accepted, dropped, colour, stream


def chromium_capture(path, width, height, rate, args):
    """V4L2CaptureDelegate::AllocateAndStart + DoCapture."""
    rule = 'chromium.capture'
    fd = os.open(path, os.O_RDWR)
    try:
        # ResetUserAndCameraControlsToDefault: S_CTRL(AUTO_WHITE_BALANCE = 0) first; on failure (5 tries) nothing.
        # (RunIoctl: the first try and 5 retries.)
        if any(ioctl(fd, VIDIOC_S_CTRL, Control(id=V4L2_CID_AUTO_WHITE_BALANCE, value=0)) == 0 for _ in range(6)):
            say('  chromium: the device has AUTO_WHITE_BALANCE: Chromium would also reset its controls (not emulated)')
        cap = querycap(fd)
        if cap is None or not chromium_querycap_ok(cap):
            raise RuleFailed('chromium.querycap', 'at start: ' + ('QUERYCAP failed' if cap is None else caps_problem(cap)))
        wanted = chromium_usable_fourccs(width > 640 or height > 480)
        listed = enum_fmt(fd)
        best = min((wanted.index(code) for code in listed if code in wanted), default=None)
        if best is None:
            raise RuleFailed(rule, 'kV4L2FailedToFindASupportedCameraFormat: ENUM_FMT lists '
                             + (', '.join(map(fourcc_name, listed)) or 'nothing'))
        fmt = Format(type=BUF_TYPE_CAPTURE)
        fmt.fmt.pix.width, fmt.fmt.pix.height, fmt.fmt.pix.pixelformat = width, height, wanted[best]
        if (error := ioctl(fd, VIDIOC_S_FMT, fmt)) != 0:
            raise RuleFailed(rule, f'S_FMT {fourcc_name(wanted[best])} {width}x{height} failed: {os.strerror(error)}')
        pix = fmt.fmt.pix
        pixel = CHROMIUM_PIXEL.get(pix.pixelformat)
        if pixel is None:
            raise RuleFailed(rule, f'S_FMT returned {fourcc_name(pix.pixelformat)}, not a Chromium format')
        parm = StreamParm(type=BUF_TYPE_CAPTURE)
        if ioctl(fd, VIDIOC_G_PARM, parm) == 0 and parm.parm.capture.capability & V4L2_CAP_TIMEPERFRAME:
            parm.parm.capture.timeperframe = Fract(10000, int((rate or 30) * 10000))
            if (error := ioctl(fd, VIDIOC_S_PARM, parm)) != 0:
                raise RuleFailed(rule, f'kV4L2FailedToSetCameraFramerate: S_PARM failed: {os.strerror(error)}')
            say(f'  chromium: S_PARM 10000/{int((rate or 30) * 10000)} -> {fract(parm.parm.capture.timeperframe)}')
        else:
            say('  chromium: G_PARM has no TIMEPERFRAME: no S_PARM')
        ioctl(fd, VIDIOC_S_CTRL, Control(id=V4L2_CID_POWER_LINE_FREQUENCY, value=V4L2_CID_POWER_LINE_FREQUENCY_AUTO))
        say(f'  chromium: S_FMT {fourcc_name(wanted[best])} {width}x{height} -> {fourcc_name(pix.pixelformat)} '
            f'{pix.width}x{pix.height}, bytesperline {pix.bytesperline}, sizeimage {pix.sizeimage}')
        check_packed(rule, pixel, pix)
        stream = Stream(fd, rule)

        def restart(old):
            say('  chromium: poll timed out: restarting the stream, as Chromium does')
            old.stop()
            return Stream(fd, rule)
        started = time.monotonic()
        accepted, dropped, colour, stream = read_frames(fd, stream, rule, pixel, pix.width, pix.height,
                                                        chromium_allocation_size, args, restart=restart)
        stream.stop()
        say(f'  chromium: {accepted} frames of {pixel} {pix.width}x{pix.height} in '
            f'{time.monotonic() - started:.1f} s, {dropped} dropped' + (f'; pixel {colour}' if colour else ''))
        return pix.width, pix.height
    finally:
        os.close(fd)


def fract(value):
    return f'{value.numerator}/{value.denominator}'


def check_packed(rule, pixel, pix):
    """Both browsers hand the buffer on as tightly packed rows: bytesperline must be the packed row."""
    packed = {'YUY2': pix.width * 2, 'UYVY': pix.width * 2, 'I420': pix.width, 'YV12': pix.width,
              'NV12': pix.width, 'RGB24': pix.width * 3, 'BGR24': pix.width * 3}.get(pixel)
    if packed is not None and pix.bytesperline not in (0, packed):
        raise RuleFailed(rule, f'bytesperline {pix.bytesperline} is not the packed row ({packed}): the browser '
                               'would shear the picture')


def firefox_capture(path, width, height, max_fps, args):
    """VideoCaptureModuleV4L2::StartCapture + CaptureProcess + VideoCaptureImpl::IncomingFrame."""
    rule = 'firefox.capture'
    fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
    try:
        order = FIREFOX_HD if (width > 640 or height > 480) else FIREFOX_SD
        listed = enum_fmt(fd)
        chosen = next((fourcc(code) for code in order if fourcc(code) in listed), None)
        if chosen is None:
            raise RuleFailed(rule, 'no supporting video formats found: ENUM_FMT lists '
                             + (', '.join(map(fourcc_name, listed)) or 'nothing'))
        kind = FIREFOX_TYPE[chosen]
        fmt = Format(type=BUF_TYPE_CAPTURE)
        fmt.fmt.pix.sizeimage = 0
        fmt.fmt.pix.width, fmt.fmt.pix.height, fmt.fmt.pix.pixelformat = width, height, chosen
        if (error := ioctl(fd, VIDIOC_S_FMT, fmt)) != 0:
            raise RuleFailed(rule, f'VIDIOC_S_FMT {fourcc_name(chosen)} {width}x{height} failed: {os.strerror(error)}')
        pix = fmt.fmt.pix
        say(f'  firefox: S_FMT {fourcc_name(chosen)} {width}x{height} -> {fourcc_name(pix.pixelformat)} '
            f'{pix.width}x{pix.height}, bytesperline {pix.bytesperline}, sizeimage {pix.sizeimage}')
        if pix.pixelformat != chosen:
            raise RuleFailed(rule, f'S_FMT turned {fourcc_name(chosen)} into {fourcc_name(pix.pixelformat)}: Firefox '
                                   f'would read the frames as {kind}')
        check_packed(rule, kind, pix)
        parm = StreamParm(type=BUF_TYPE_CAPTURE)
        if ioctl(fd, VIDIOC_G_PARM, parm) == 0 and parm.parm.capture.capability & V4L2_CAP_TIMEPERFRAME:
            parm = StreamParm(type=BUF_TYPE_CAPTURE)
            parm.parm.capture.timeperframe = Fract(1, max_fps)
            if ioctl(fd, VIDIOC_S_PARM, parm) != 0:
                say('  firefox: S_PARM failed (Firefox goes on with a guessed rate)')
            else:
                say(f'  firefox: S_PARM 1/{max_fps} -> {fract(parm.parm.capture.timeperframe)}')
        else:
            say('  firefox: G_PARM has no TIMEPERFRAME: no S_PARM (Firefox assumes 30 fps, 15 from 800 wide)')
        stream = Stream(fd, rule)
        started = time.monotonic()
        accepted, dropped, colour, stream = read_frames(
            fd, stream, rule, 'YUY2' if kind == 'YUY2' else kind, pix.width, pix.height,
            firefox_buffer_size, args, nonblocking=True)
        stream.stop()
        say(f'  firefox: {accepted} frames of {kind} {pix.width}x{pix.height} in {time.monotonic() - started:.1f} s, '
            f'{dropped} refused' + (f'; pixel {colour}' if colour else ''))
    finally:
        os.close(fd)


# ---- the checks --------------------------------------------------------------------------------------------------------

def fourcc_for(name):
    return {'yuyv': fourcc(b'YUYV'), 'i420': fourcc(b'YU12')}[name]


def run(args):
    path = os.path.realpath(args.device)
    width, height = args.size
    code = fourcc_for(args.format) if args.format else None

    if args.only in (None, 'chromium'):
        listed, left_out = chromium_list()
        say('chromium would list:' if listed else 'chromium would list: nothing')
        for device, (name, model, formats, skipped) in listed.items():
            if device != path and not args.verbose:
                say(f'  {device} "{name}": {len(formats)} format/size/rate entries (--verbose lists them)')
                continue
            say(f'  {device} "{name}"' + (f' ({model})' if model else '') + ': '
                + grouped((pixel, w, h, f'{rate:g}') for pixel, _, w, h, rate in formats)
                + (f' [not taken: {len(skipped)} ({", ".join(skipped[:3])}{", ..." if len(skipped) > 3 else ""})]'
                   if skipped else ''))
        for device, why in left_out.items():
            say(f'  (not {device}: {why})')
        if path not in listed:
            raise RuleFailed('chromium.querycap' if 'QUERYCAP' in left_out.get(path, 'QUERYCAP') else 'chromium.formats',
                             f'{args.device}: {left_out.get(path, "not found")}')
        name, _, formats, _ = listed[path]
        if name != args.label:
            raise RuleFailed('chromium.label', f'{args.device} is called "{name}", not "{args.label}"')
        matching = [f for f in formats if (f[2], f[3]) == (width, height) and (code is None or f[1] == code)]
        if not matching:
            raise RuleFailed('chromium.size', f'no {args.format or "usable"} format at {width}x{height} among '
                             + ', '.join(f'{p} {w}x{h}' for p, _, w, h, _ in formats))
        if args.fps is not None and not any(abs(f[4] - args.fps) < 0.01 for f in matching):
            raise RuleFailed('chromium.rate', f'{width}x{height} is offered at '
                             + ', '.join(f'{f[4]:g}' for f in matching) + f' fps, not {args.fps:g}')
        chosen = (min(matching, key=lambda f: abs(f[4] - 30)) if args.fps is None   # getUserMedia's default: 30
                  else next(f for f in matching if abs(f[4] - args.fps) < 0.01))
        say(f'chromium: getUserMedia would open {args.device} as {chosen[0]} {width}x{height}@{chosen[4]:g}')

    if args.only in (None, 'firefox'):
        listed, left_out = firefox_list()
        say('firefox would list:' if listed else 'firefox would list: nothing')
        for device, (name, unique, caps) in listed.items():
            if device != path and not args.verbose:
                say(f'  {device} "{name}" ({unique}): {len(caps)} capabilities (--verbose lists them)')
                continue
            summary = grouped((kind, w, h, str(fps)) for kind, _, w, h, fps in caps) or \
                'no capability (taken as any size)'
            say(f'  {device} "{name}" ({unique}): {summary}')
        for device, why in left_out.items():
            say(f'  (not {device}: {why})')
        if path not in listed:
            raise RuleFailed('firefox.querycap', f'{args.device}: {left_out.get(path, "not found")}')
        name, unique, caps = listed[path]
        if name != args.label:
            raise RuleFailed('firefox.label', f'{args.device} is called "{name}", not "{args.label}"')
        others = [device for device, (_, other, _) in listed.items() if device != path and other.startswith(unique)]
        if others:
            raise RuleFailed('firefox.id', f'unique id "{unique}" also matches {", ".join(others)}')
        firefox_request = None
        if (width, height) in FIREFOX_SIZES:
            at_size = [c for c in caps if (c[2], c[3]) == (width, height)]
            real = [c for c in at_size if code is None or c[1] == code]
            if not real:
                raise RuleFailed('firefox.size', f'{width}x{height} is one of Firefox\'s probe sizes but TRY_FMT '
                                 f'does not keep it for {args.format or "any format"}')
            firefox_request = (width, height, real[0][4])
            say(f'firefox: getUserMedia would open {args.device} at {width}x{height} (maxFPS {real[0][4]}, a guess)')
        else:
            firefox_request = (640, 480, 30) if not caps else (caps[0][2], caps[0][3], caps[0][4])
            say(f'firefox: NOTE: {width}x{height} is not among Firefox\'s 13 probe sizes, so it lists '
                + ('no capability and takes the camera as any size' if not caps else f'{len(caps)} others')
                + f'; it would ask for {firefox_request[0]}x{firefox_request[1]} and take what S_FMT returns')

    if args.list_only:
        return
    if args.only in (None, 'chromium'):
        got = chromium_capture(path, width, height, chosen[4], args)
        if got != (width, height):
            raise RuleFailed('chromium.capture', f'frames are {got[0]}x{got[1]}, not {width}x{height}')
    if args.only in (None, 'firefox'):
        firefox_capture(path, *firefox_request, args)


def grouped(entries):
    """'YUY2 320x180@5/10, 640x480@5; I420 ...' from (format, width, height, rate) in listing order."""
    formats = {}
    for kind, width, height, rate in entries:
        rates = formats.setdefault(kind, {}).setdefault((width, height), [])
        if rate not in rates:
            rates.append(rate)
    return '; '.join(f'{kind} ' + ', '.join(f'{w}x{h}@{"/".join(rates)}' for (w, h), rates in sizes.items())
                     for kind, sizes in formats.items())


def parse_size(text):
    match = re.fullmatch(r'([1-9][0-9]*)x([1-9][0-9]*)', text)
    if not match:
        raise argparse.ArgumentTypeError(f'not WIDTHxHEIGHT: {text}')
    return int(match[1]), int(match[2])


def parse_pixel(text):
    parts = text.split(',')
    if len(parts) not in (5, 6) or not all(p.strip().isdigit() for p in parts):
        raise argparse.ArgumentTypeError(f'not X,Y,R,G,B[,TOLERANCE]: {text}')
    values = [int(p) for p in parts]
    return values + ([8] if len(values) == 5 else [])


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--device', default='/dev/video20')
    parser.add_argument('--label', default='Matte', help='the name both browsers must show')
    parser.add_argument('--size', type=parse_size, default=(320, 240), help='the size Matte writes')
    parser.add_argument('--fps', type=float, help='the rate Matte writes (Chromium must offer it)')
    parser.add_argument('--format', choices=('yuyv', 'i420'), help='the format Matte writes')
    parser.add_argument('--frames', type=int, default=3, help='frames each browser must receive (default 3)')
    parser.add_argument('--pixel', type=parse_pixel, help='X,Y,R,G,B[,TOLERANCE]: a pixel the frames must have')
    parser.add_argument('--within', type=float, default=60, help='seconds each browser may take for it (default 60)')
    parser.add_argument('--only', choices=('chromium', 'firefox'), help="one browser's rules only")
    parser.add_argument('--list-only', action='store_true', help='list; do not start capture')
    parser.add_argument('--verbose', action='store_true', help="list the other cameras' formats too")
    args = parser.parse_args()
    if args.pixel and not (args.pixel[0] < args.size[0] and args.pixel[1] < args.size[1]):
        parser.error('--pixel lies outside --size')
    try:
        run(args)
    except RuleFailed as failure:
        line = f'browser-v4l2: FAIL {failure.rule}: {failure.why}'
        print(line, flush=True)
        print(line, file=sys.stderr, flush=True)
        return 1
    except OSError as error:
        line = f'browser-v4l2: FAIL open: {error}'
        print(line, flush=True)
        print(line, file=sys.stderr, flush=True)
        return 1
    say(f'browser-v4l2: PASS: {args.device} is listed and read by '
        + ({'chromium': 'Chromium', 'firefox': 'Firefox'}[args.only] if args.only else 'Chromium and Firefox'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
