// Package spoken writes numbers, amounts of money and dates as words, the
// way a voice says them, in English (en-US) and Mandarin (zh-CN):
// "two hundred forty dollars and fifty cents", "November twenty-seventh";
// "二百四十元五角", "十一月二十七日".
//
// It knows nothing of templates or channels: the renderer (bot/respond)
// calls it for the voice channel. It imports only the standard library.
package spoken
