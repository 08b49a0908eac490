import QRCode from 'qrcode';

/** The otpauth URI as a QR code: a PNG data URL for an <img>, and the same as SVG markup. */
export async function qrCodeOf(uri: string): Promise<{ dataUrl: string; svg: string }> {
  const [dataUrl, svg] = await Promise.all([QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2 }), QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })]);
  return { dataUrl, svg };
}
