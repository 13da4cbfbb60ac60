import Foundation
import U2ADRandom

extension Phantom.Builder {
    func render(key: RandomKey, options: PhantomOptions, noiseRng: inout RandomStream) -> PhantomSample {
        let scale = Double(n) / 256
        var signal = [Double](repeating: 0, count: n * n)
        var labels = [Float](repeating: 0, count: n * n)
        var lesionPixels = [[LesionPixel]](repeating: [], count: lesions.count)
        let boneRim = 0.1, ligament = 0.09, air = 0.015
        let brain = 0.45 * an.brightness

        for r in 0..<n {
            for c in 0..<n {
                let (s, d) = axisCoords(r, c)
                let rr = Double(r), cc = Double(c)
                var px = Phantom.Pixel()

                // Body outline and soft tissue.
                let wobble = 6 * scale * (texSkin.sample(rr, cc) - 0.5)
                let post = skinPosterior + wobble + 10 * scale * sin(Double.pi * (s / Double(n)))
                let ant = skinAnterior - wobble
                let inBody = max(d - post, ant - d)
                let coarse = texCoarse.sample(rr, cc)
                let fine = texFine.sample(rr, cc)
                if inBody < 1 {
                    let can = canal(s)
                    let bodyFront = (spondylosis == nil ? can : openCanal(s)).anterior - 1.5 * scale - an.bodyDepth
                    // Base: anterior soft tissue / posterior muscle with fat streaks.
                    let base: Double
                    if d > can.posterior {
                        let m = texMuscle.sample(rr, cc)
                        let fatMix = 0.75 * Phantom.Builder.smoothstep(0.7, 0.9, m)
                        base = an.muscleSignal * (0.8 + 0.4 * coarse) * (1 - fatMix) + an.fatSignal * 0.8 * fatMix
                    } else {
                        base = (an.muscleSignal + 0.06) * (0.8 + 0.4 * coarse)
                    }
                    px.paint(inBody, base * an.brightness)
                    // Skin line and subcutaneous fat, posterior and anterior.
                    px.paint(max(post - subcutaneousFat - d, d - post + 1.2 * scale),
                             an.fatSignal * (0.92 + 0.16 * fine) * an.brightness)
                    px.paint(max(d - (ant + 4 * scale), ant + 1 * scale - d), an.fatSignal * 0.85 * an.brightness)
                    // Airway anterior to the prevertebral soft tissue.
                    let airPost = bodyFront - prevertebral
                    px.paint(max(d - airPost, airPost - airway - d, densTop - 25 * scale - s), air)

                    // Posterior fossa: cerebellum inside the occipital bone.
                    let cbS = foramen - 34 * scale, cbD = can.posterior + 30 * scale
                    let boneSD = Phantom.Builder.ellipse(s, d, cbS, cbD, 50 * scale, 42 * scale)
                    if boneSD < 1 && d > can.posterior - 2 {
                        px.paint(boneSD, boneRim)
                        let folia = 0.06 * sin(2 * Double.pi * (s + 0.6 * d) / (4.5 * scale))
                        px.paint(Phantom.Builder.ellipse(s, d, cbS, cbD, 43 * scale, 35 * scale),
                                 brain * (0.95 + folia + 0.1 * coarse))
                    }
                    // Clivus (skull base) above the dens.
                    let clivus = Phantom.Builder.capsule(s, d, densTop - 4 * scale, can.anterior - 6 * scale,
                                                 densTop - 60 * scale, can.anterior - 30 * scale, 4.5 * scale, 6 * scale)
                    if clivus < 1 {
                        px.paint(clivus, boneRim)
                        px.paint(clivus + 1.5 * scale, an.marrowSignal * 0.9 * (0.9 + 0.2 * fine) * an.brightness)
                    }

                    // Discs, vertebral bodies, posterior elements.
                    if d > bodyFront - 4 * scale && d < can.anterior + 4 * scale {
                        let bodyCD = -an.canalHalfWidth - 1.5 * scale - an.bodyDepth / 2
                        for lv in levels {
                            // Disc below this body.
                            if s > lv.bottom - 3 && s < lv.discBottom + 3 {
                                let mid = (lv.bottom + lv.discBottom) / 2
                                let hs = (lv.discBottom - lv.bottom) / 2 + 1.5 * scale
                                let hd = an.bodyDepth / 2 + lv.discBulge
                                let sd = Phantom.Builder.roundedBox(s, d, mid, bodyCD, hs, hd, 2 * scale)
                                let nucleus = Phantom.Builder.smoothstep(0.8, 0.3, abs(d - bodyCD) / hd)
                                px.paint(sd, lv.discSignal * (0.55 + 0.45 * nucleus) * (0.95 + 0.1 * fine) * an.brightness,
                                         label: 1)
                            }
                            if s > lv.top - 3 && s < lv.bottom + 3 {
                                let hs = (lv.bottom - lv.top) / 2
                                let sd = Phantom.Builder.roundedBox(s, d, (lv.top + lv.bottom) / 2, bodyCD, hs,
                                                            an.bodyDepth / 2, 3 * scale)
                                px.paint(sd, boneRim, label: 2)
                                px.paint(sd + 1.3 * scale,
                                         an.marrowSignal * (0.8 + 0.25 * fine + 0.15 * coarse) * an.brightness)
                            }
                            if lv.isC2 && s > densTop - 3 && s < lv.top + 3 {
                                let hd = an.bodyDepth * 0.22
                                let sd = Phantom.Builder.roundedBox(s, d, (densTop + lv.top + 4 * scale) / 2,
                                                            bodyCD + an.bodyDepth * 0.2, (lv.top + 4 * scale - densTop) / 2,
                                                            hd, hd * 0.9)
                                px.paint(sd, boneRim, label: 2)
                                px.paint(sd + 1.3 * scale, an.marrowSignal * (0.85 + 0.2 * fine) * an.brightness)
                            }
                        }
                    }
                    // C1 anterior arch.
                    if let c2 = levels.first {
                        let c1s = densTop + 0.35 * (c2.top - densTop)
                        let ca = Phantom.Builder.ellipse(s, d, c1s, bodyCD0 - an.bodyDepth * 0.05 - 0.5 * an.bodyDepth * 0.44 - 5 * scale,
                                                 4.5 * scale, 3.2 * scale)
                        if ca < 1 {
                            px.paint(ca, boneRim)
                            px.paint(ca + 1.2 * scale, an.marrowSignal * 0.9 * an.brightness)
                        }
                        // C1 posterior arch.
                        let cp = Phantom.Builder.ellipse(s, d, c1s, an.canalHalfWidth + posteriorCSF + 9 * scale, 4.5 * scale, 6 * scale)
                        if cp < 1 {
                            px.paint(cp, boneRim)
                            px.paint(cp + 1.2 * scale, an.marrowSignal * 0.9 * an.brightness)
                        }
                    }
                    if d > can.posterior {
                        for lv in levels {
                            let s0 = lv.top + 0.35 * (lv.bottom - lv.top)
                            guard s > s0 - 12 * scale, s < s0 + lv.spinousLength * 0.8 + 12 * scale else { continue }
                            let d0 = an.canalHalfWidth + posteriorCSF + 2.5 * scale
                            let sd = Phantom.Builder.capsule(s, d, s0, d0, s0 + 0.5 * lv.spinousLength, d0 + lv.spinousLength,
                                                     (lv.isC2 ? 8.5 : 7) * scale, 4.5 * scale)
                            if sd < 1 {
                                px.paint(sd, boneRim)
                                px.paint(sd + 1.3 * scale, an.marrowSignal * (0.8 + 0.3 * fine) * an.brightness)
                            }
                        }
                    }

                    // Dural sac: dark dura / ligaments, CSF with flow artefacts, cord with partial volume, lesions.
                    let duraSD = max(can.anterior - 1.3 * scale - d, d - can.posterior - 1.3 * scale)
                    px.paint(duraSD, ligament)
                    let csfSD = max(can.anterior - d, d - can.posterior)
                    if csfSD < 1 {
                        let flow = flowFactor(s, d, canal: can, texture: fine)
                        px.paint(csfSD, an.csfSignal * (0.97 + 0.06 * fine) * an.brightness * flow, label: 4)
                        let delta = d - an.cordShift
                        if abs(delta) < can.cordHalf + 1 {
                            let fraction = cordFraction(delta, half: can.cordHalf)
                            let cordValue = cordSignal(row: rr, col: cc)
                            px.value += (cordValue - px.value) * fraction
                            if fraction >= 0.5 { px.label = 3 }
                            var added = 0.0
                            for (k, placement) in lesions.enumerated() where fraction > 0 {
                                let weight = fraction * placement.lesion.weight(along: s - placement.along, across: d - placement.across)
                                guard weight > 0 else { continue }
                                lesionPixels[k].append(LesionPixel(row: r, col: c, weight: weight))
                                added = max(added, weight * (placement.lesion.contrast - 1) * cordValue)
                                if weight >= 0.5 { px.label = 6 }
                            }
                            px.value += added
                        }
                    }
                }
                signal[r * n + c] = px.value
                labels[r * n + c] = Float(px.label)
            }
        }

        // Bias field, band-limited Rician noise, normalisation, cord-label error.
        let clean = Image2D(rows: n, cols: n, doubles: signal)
        var biased = signal
        for r in 0..<n {
            let y = 2 * Double(r) / Double(n - 1) - 1
            for c in 0..<n {
                let x = 2 * Double(c) / Double(n - 1) - 1
                let b = biasCoeffs
                let field = 1 + an.biasStrength * (0.45 * b[0] * x + 0.45 * b[1] * y + 0.3 * b[2] * x * y
                                                   + 0.3 * b[3] * (x * x - 0.33) + 0.3 * b[4] * (y * y - 0.33)
                                                   + 0.2 * b[5] * sin(2.2 * x + 1.3 * y))
                biased[r * n + c] = signal[r * n + c] * field
            }
        }
        let acquired = acquire(biased, sigma: an.noiseSigma * confounders.noiseFactor * an.brightness, rng: &noiseRng)
        let image: [Double]
        if options.normalize {
            image = Preprocessing.clipAndNormalize(acquired, lowerPercentile: options.preprocessing.lowerPercentile,
                                                   upperPercentile: options.preprocessing.upperPercentile)
        } else {
            image = acquired.map { min(max($0, 0), 1) }
        }
        let trueLabels = Image2D(rows: n, cols: n, pixels: labels)
        let labelImage = Image2D(rows: n, cols: n, pixels: labelsWithMaskErrors(labels))
        let roi = Preprocessing.roiMask(labels: labelImage, options: options.preprocessing)
        let slice = PreprocessedSlice(image: Image2D(rows: n, cols: n, doubles: image), roi: roi, labels: labelImage)
        let placed: [PlacedLesion] = lesions.enumerated().map { k, placement in
            let p = pixel(fromAxis: placement.along, placement.across)
            return PlacedLesion(requested: placement.requested, lesion: placement.lesion, centerRow: p.row, centerCol: p.col,
                                cordSignal: cordSignal(row: p.row, col: p.col), pixels: lesionPixels[k],
                                touchesCordBorder: PlacedLesion.touchesBorder(lesionPixels[k], labels: trueLabels))
        }
        return PhantomSample(slice: slice, trueLabels: trueLabels, key: key, anatomy: an, confounders: confounders,
                             lesions: placed, cleanSignal: clean)
    }

    /// Body centre across the axis for a straight canal (used for the C1 arch).
    var bodyCD0: Double { -an.canalHalfWidth - 1.5 * Double(n) / 256 - an.bodyDepth / 2 }
}
